"""Describe, list and invoke through boto3 against a Stratus server; prints a JSON summary.

Usage: boto3_check.py <url> <access-key-id> <secret> <csv-row>
"""
import json
import sys

import boto3

url, key_id, secret, row = sys.argv[1:5]
kwargs = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id=key_id, aws_secret_access_key=secret)
sm = boto3.client("sagemaker", **kwargs)
rt = boto3.client("sagemaker-runtime", **kwargs)

described = sm.describe_endpoint(EndpointName="bc")
listed = sm.list_endpoints()
invoked = rt.invoke_endpoint(EndpointName="bc", Body=row.encode(), ContentType="text/csv", Accept="application/json")
body = json.loads(invoked["Body"].read())
try:
    sm.describe_endpoint(EndpointName="nope")
    missing = None
except sm.exceptions.ClientError as e:
    missing = e.response["Error"]["Code"]

print(json.dumps({
    "status": described["EndpointStatus"],
    "endpoints": [e["EndpointName"] for e in listed["Endpoints"]],
    "variant": invoked["InvokedProductionVariant"],
    "predictions": len(body["predictions"]),
    "missing": missing,
}))
