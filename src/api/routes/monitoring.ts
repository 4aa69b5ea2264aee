import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { NameParams } from '../../contracts/common.js';
import {
  CreateMonitoringBaselineRequest, CreateMonitoringScheduleRequest, GroundTruthRequest, GroundTruthResult, MonitoringAlarmList, MonitoringBaseline, MonitoringBaselineList,
  MonitoringListQuery, MonitoringReport, MonitoringReportList, MonitoringSchedule, MonitoringScheduleList,
} from '../../contracts/monitoring.js';
import type { MonitoringService } from '../../monitoring/monitoring-service.js';

const Document = Type.Record(Type.String(), Type.Unknown());
const ReportParams = Type.Object({ name: NameParams.properties.name, file: Type.String({ minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9._-]+$' }) }, { additionalProperties: false });

export const monitoringRoutes: FastifyPluginAsyncTypebox<{ monitoring: MonitoringService }> = async (app, { monitoring }) => {
  app.post('/monitoring-baselines', {
    schema: { summary: 'Compute a monitoring baseline (statistics and suggested constraints) from a dataset version', body: CreateMonitoringBaselineRequest, response: { 201: MonitoringBaseline } },
  }, async (req, reply) => reply.code(201).send(await monitoring.createBaseline(req.body)));

  app.get('/monitoring-baselines', { schema: { summary: 'List monitoring baselines', querystring: MonitoringListQuery, response: { 200: MonitoringBaselineList } } }, async (req) =>
    monitoring.listBaselines(req.query),
  );

  app.get('/monitoring-baselines/:name', { schema: { summary: 'Describe a monitoring baseline', params: NameParams, response: { 200: MonitoringBaseline } } }, async (req) =>
    monitoring.getBaseline(req.params.name),
  );

  app.get('/monitoring-baselines/:name/statistics', { schema: { summary: 'statistics.json of a Completed baseline', params: NameParams, response: { 200: Document } } }, async (req) =>
    monitoring.baselineDocument(req.params.name, 'statistics'),
  );

  app.get('/monitoring-baselines/:name/constraints', { schema: { summary: 'constraints.json of a Completed baseline', params: NameParams, response: { 200: Document } } }, async (req) =>
    monitoring.baselineDocument(req.params.name, 'constraints'),
  );

  app.post('/monitoring-schedules', {
    schema: { summary: 'Create a monitoring schedule: check an endpoint\'s captured traffic against a baseline every period', body: CreateMonitoringScheduleRequest, response: { 201: MonitoringSchedule } },
  }, async (req, reply) => reply.code(201).send(await monitoring.createSchedule(req.body)));

  app.get('/monitoring-schedules', { schema: { summary: 'List monitoring schedules', querystring: MonitoringListQuery, response: { 200: MonitoringScheduleList } } }, async (req) =>
    monitoring.listSchedules(req.query),
  );

  app.get('/monitoring-schedules/:name', { schema: { summary: 'Describe a monitoring schedule, with its last result', params: NameParams, response: { 200: MonitoringSchedule } } }, async (req) =>
    monitoring.getSchedule(req.params.name),
  );

  app.delete('/monitoring-schedules/:name', { schema: { summary: 'Delete a monitoring schedule, its reports and alarms', params: NameParams, response: { 204: Type.Null() } } }, async (req, reply) => {
    await monitoring.deleteSchedule(req.params.name);
    return reply.code(204).send(null);
  });

  app.post('/monitoring-schedules/:name/run', { schema: { summary: 'Run the schedule now; answers its report', params: NameParams, response: { 200: MonitoringReport } } }, async (req) =>
    monitoring.run(req.params.name),
  );

  app.post('/monitoring-schedules/:name/stop', { schema: { summary: 'Stop running the schedule periodically', params: NameParams, response: { 200: MonitoringSchedule } } }, async (req) =>
    monitoring.setStatus(req.params.name, 'Stopped'),
  );

  app.post('/monitoring-schedules/:name/start', { schema: { summary: 'Resume a stopped schedule', params: NameParams, response: { 200: MonitoringSchedule } } }, async (req) =>
    monitoring.setStatus(req.params.name, 'Scheduled'),
  );

  app.get('/monitoring-schedules/:name/reports', { schema: { summary: 'Reports of a schedule, newest first (at most 100)', params: NameParams, response: { 200: MonitoringReportList } } }, async (req) =>
    monitoring.listReports(req.params.name),
  );

  app.get('/monitoring-schedules/:name/reports/:file', { schema: { summary: 'One report, by its file name (`<timestamp>.json`)', params: ReportParams, response: { 200: MonitoringReport } } }, async (req) =>
    monitoring.getReport(req.params.name, req.params.file),
  );

  app.post('/monitoring-schedules/:name/ground-truth', {
    schema: { summary: 'Upload ground-truth labels (by inference id) for the next run\'s model quality', params: NameParams, body: GroundTruthRequest, response: { 201: GroundTruthResult } },
    bodyLimit: 32 * 1024 * 1024,
  }, async (req, reply) => reply.code(201).send(await monitoring.groundTruth(req.params.name, req.body)));

  app.get('/monitoring-schedules/:name/alarms', {
    schema: { summary: 'Alarms the schedule raised, newest first', params: NameParams, querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }), response: { 200: MonitoringAlarmList } },
  }, async (req) => monitoring.alarms(req.params.name, { limit: req.query.limit }));
};
