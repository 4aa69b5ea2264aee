import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../test/helpers/collective-hosts.js';
import { COLLECTIVE_PORT_ENV, connectJobCollective, readJobHosts } from './job-collective.js';
import { jobFolder, prepareJobFolder } from './job-folder.js';

const HOSTS = ['algo-1', 'algo-2'];
const ADDRESSES = { 'algo-1': '127.0.0.1', 'algo-2': '127.0.0.1' };

/** The config folder a host of a 2-host job gets from the contract. */
async function configDir(currentHost: string, hostAddresses?: Record<string, string>) {
  const folder = jobFolder(mkdtempSync(join(tmpdir(), 'job-collective-')));
  await prepareJobFolder(folder, {
    jobName: 'j', hyperparameters: {}, channels: [], instanceType: 'ml.m5.large', hosts: HOSTS, currentHost, cpus: 1,
    ...(hostAddresses ? { hostAddresses } : {}),
  });
  return folder.configDir;
}

describe('the collective of a job', () => {
  it('joins the hosts of resourceconfig.json on STRATUS_COLLECTIVE_PORT, within the job', async () => {
    const port = String(await freePort());
    const placements = await Promise.all(HOSTS.map(async (h) => readJobHosts(await configDir(h, ADDRESSES))));
    expect(placements[1]).toEqual({ hosts: HOSTS, currentHost: 'algo-2', hostAddresses: ADDRESSES });
    const env = { [COLLECTIVE_PORT_ENV]: port, TRAINING_JOB_NAME: 'job-a' };
    const cs = await Promise.all(placements.map((p) => connectJobCollective(p, env, 5000)));
    try {
      expect(cs.map((c) => [c.rank, c.size])).toEqual([[0, 2], [1, 2]]);
      const sums = [Float64Array.of(1), Float64Array.of(2)];
      await Promise.all(cs.map((c, r) => c.allreduceSum(sums[r])));
      expect(sums.map((s) => s[0])).toEqual([3, 3]);
    } finally {
      await Promise.all(cs.map((c) => c.close()));
    }
    // A host of another job on the same port is refused.
    const root = connectJobCollective(placements[0], { ...env, [COLLECTIVE_PORT_ENV]: port }, 1000);
    await expect(connectJobCollective(placements[1], { ...env, TRAINING_JOB_NAME: 'job-b' }, 1000)).rejects.toThrow(/another job's host \(job-b\)/);
    await expect(root).rejects.toThrow(/algo-2 did not connect to algo-1/);
  });

  it('says what is missing when the contract lacks the addresses or the port', async () => {
    const noAddresses = await readJobHosts(await configDir('algo-1'));
    await expect(connectJobCollective(noAddresses, { [COLLECTIVE_PORT_ENV]: '25000' })).rejects.toThrow(/needs host_addresses in resourceconfig\.json/);
    const noPort = await readJobHosts(await configDir('algo-1', ADDRESSES));
    await expect(connectJobCollective(noPort, {})).rejects.toThrow(/needs STRATUS_COLLECTIVE_PORT/);
  });
});
