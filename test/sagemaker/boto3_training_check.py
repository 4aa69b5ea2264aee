"""CreateTrainingJob, the waiter and DescribeTrainingJob through boto3 against a Stratus server.

Usage: boto3_training_check.py <url> <access-key-id> <secret> <xgboost-image>
Expects uploads/bc/train/ to hold a label-first CSV. Prints a JSON summary.
"""
import json
import sys

import boto3

url, key_id, secret, image = sys.argv[1:5]
sm = boto3.client("sagemaker", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key_id, aws_secret_access_key=secret)

request = dict(
    TrainingJobName="sm-boto3",
    RoleArn="arn:aws:iam::123456789012:role/SageMakerRole",
    AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
    HyperParameters={"num_round": "5", "objective": "binary:logistic"},
    InputDataConfig=[{
        "ChannelName": "train",
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://my-bucket/uploads/bc/train/"}},
        "ContentType": "text/csv",
    }],
    OutputDataConfig={"S3OutputPath": "s3://my-bucket/output"},
    ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
    StoppingCondition={"MaxRuntimeInSeconds": 600},
)
arn = sm.create_training_job(**request)["TrainingJobArn"]
sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName="sm-boto3", WaiterConfig={"Delay": 1, "MaxAttempts": 90})
described = sm.describe_training_job(TrainingJobName="sm-boto3")

try:
    sm.create_training_job(**request)
    duplicate = None
except sm.exceptions.ResourceInUse as e:
    duplicate = e.response["Error"]["Code"]
try:
    sm.describe_training_job(TrainingJobName="nope")
    missing = None
except sm.exceptions.ClientError as e:
    missing = e.response["Error"]["Code"]

print(json.dumps({
    "arn": arn,
    "status": described["TrainingJobStatus"],
    "artifacts": described["ModelArtifacts"]["S3ModelArtifacts"],
    "hasTrainMetric": any(m["MetricName"].startswith("train:") for m in described.get("FinalMetricDataList", [])),
    "duplicate": duplicate,
    "missing": missing,
}))
