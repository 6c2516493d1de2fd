/**
 * Runs hourly in the audit account (`MemberHeartbeatMonitor`): finds the ACTIVE accounts under the
 * member OUs of the layout itself (AWS Organizations, from the audit account as a delegated
 * administrator), reads each account's forwarding heartbeats per Region over the last
 * `SILENCE_HOURS` (the `Heartbeats` metric the security bus's metric filter publishes with the
 * `Account` and `Region` dimensions), logs the silent account/Region pairs and publishes their
 * number as `SilentMemberAccounts` (namespace `DataProtection`). Any API error fails the run: no
 * data point, and the alarm treats missing data as breaching.
 *
 * ListAccountsForParent (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccountsForParent.html)
 * lists the accounts directly in a root or OU; ListOrganizationalUnitsForParent
 * (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListOrganizationalUnitsForParent.html)
 * its child OUs. Both page with `NextToken` (check it even after an empty page), `MaxResults` 1–20,
 * and "can be called only from the organization's management account or by a member account that
 * is a delegated administrator". Account (https://docs.aws.amazon.com/organizations/latest/APIReference/API_Account.html):
 * `State` (ACTIVE, SUSPENDED, PENDING_ACTIVATION, PENDING_CLOSURE, CLOSED; `Status` is its
 * deprecated predecessor) and `JoinedTimestamp`.
 * GetMetricData (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html):
 * up to 500 queries per call, ids starting with a lowercase letter, `NextToken` pages.
 */
import { CloudWatchClient, GetMetricDataCommand, GetMetricDataCommandOutput, MetricDataQuery, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { Account, ListAccountsForParentCommand, ListAccountsForParentCommandOutput, ListOrganizationalUnitsForParentCommand, ListOrganizationalUnitsForParentCommandOutput, OrganizationsClient } from '@aws-sdk/client-organizations';

import { SILENT_MEMBER_ACCOUNTS_METRIC } from '../../core/constants';

const organizations = new OrganizationsClient({});
const cloudwatch = new CloudWatchClient({});

export interface MemberHeartbeatResult {
  /** ACTIVE accounts found under the member OUs (the fixed accounts of the layout excluded). */
  readonly accounts: string[];
  /** Accounts that joined the organization within the grace period: not counted. */
  readonly inGrace: string[];
  /** `<account>/<region>` pairs without a heartbeat in the window. */
  readonly silent: string[];
}

export async function handler(): Promise<MemberHeartbeatResult> {
  const paths: string[] = JSON.parse(process.env.ORGANIZATIONAL_UNIT_PATHS ?? '[]');
  const regions: string[] = JSON.parse(process.env.REGIONS ?? '[]');
  const excluded = new Set<string>(JSON.parse(process.env.EXCLUDED_ACCOUNTS ?? '[]'));
  const silenceHours = Number(process.env.SILENCE_HOURS);
  const graceHours = Number(process.env.GRACE_HOURS);
  const namespace = process.env.HEARTBEAT_NAMESPACE;
  const metricName = process.env.HEARTBEAT_METRIC;
  const outNamespace = process.env.METRIC_NAMESPACE;
  if (paths.length === 0) throw new Error('ORGANIZATIONAL_UNIT_PATHS must list at least one entity path');
  if (regions.length === 0) throw new Error('REGIONS must list at least one Region');
  if (!Number.isInteger(silenceHours) || silenceHours <= 0) throw new Error(`SILENCE_HOURS must be a positive whole number of hours, got '${process.env.SILENCE_HOURS}'`);
  if (!Number.isFinite(graceHours) || graceHours < 0) throw new Error(`GRACE_HOURS must be a number of hours, got '${process.env.GRACE_HOURS}'`);
  if (!namespace || !metricName || !outNamespace) throw new Error('HEARTBEAT_NAMESPACE, HEARTBEAT_METRIC and METRIC_NAMESPACE must be set');

  const now = Date.now();
  const found = new Map<string, Account>();
  for (const path of paths) {
    const { parent, recursive } = parsePath(path);
    await collect(parent, recursive, found);
  }
  const accounts: string[] = [];
  const inGrace: string[] = [];
  for (const [id, account] of [...found.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (excluded.has(id)) continue;
    if ((account.State ?? account.Status) !== 'ACTIVE') continue;
    const joined = account.JoinedTimestamp?.getTime();
    if (joined !== undefined && now - joined < graceHours * 3_600_000) {
      inGrace.push(id);
      continue;
    }
    accounts.push(id);
  }

  const pairs = accounts.flatMap((account) => regions.map((region) => ({ account, region })));
  const sums = await heartbeatSums(pairs, namespace, metricName, silenceHours, now);
  const silent = pairs.filter((_, i) => !(sums[i] > 0)).map((p) => `${p.account}/${p.region}`);
  if (inGrace.length > 0) console.log(`accounts that joined within ${graceHours} hours, not counted yet: ${inGrace.join(', ')}`);
  if (silent.length > 0) console.warn(`no forwarding heartbeat for ${silenceHours} hours from: ${silent.join(', ')}`);
  console.log(JSON.stringify({ accounts: accounts.length, regions, silent: silent.length }));
  await cloudwatch.send(
    new PutMetricDataCommand({ Namespace: outNamespace, MetricData: [{ MetricName: SILENT_MEMBER_ACCOUNTS_METRIC, Value: silent.length, Unit: 'Count', Timestamp: new Date(now) }] }),
  );
  return { accounts, inGrace, silent };
}

/**
 * An entity path `o-…/r-…/[ou-…/]…` ending in `/` (accounts directly in the last entity) or `/*`
 * (that entity and every child OU): its last entity and whether to descend.
 */
export function parsePath(path: string): { parent: string; recursive: boolean } {
  const recursive = path.endsWith('/*');
  const entities = path.split('/').filter((x) => x !== '' && x !== '*');
  const parent = entities[entities.length - 1];
  if (entities.length < 2 || !/^(r-|ou-)/.test(parent ?? '')) throw new Error(`not an AWS Organizations entity path ending in a root or OU: '${path}'`);
  return { parent, recursive };
}

async function collect(parent: string, recursive: boolean, found: Map<string, Account>): Promise<void> {
  let token: string | undefined;
  do {
    const page: ListAccountsForParentCommandOutput = await organizations.send(new ListAccountsForParentCommand({ ParentId: parent, NextToken: token }));
    for (const account of page.Accounts ?? []) if (account.Id) found.set(account.Id, account);
    token = page.NextToken;
  } while (token);
  if (!recursive) return;
  const children: string[] = [];
  do {
    const page: ListOrganizationalUnitsForParentCommandOutput = await organizations.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parent, NextToken: token }));
    for (const ou of page.OrganizationalUnits ?? []) if (ou.Id) children.push(ou.Id);
    token = page.NextToken;
  } while (token);
  for (const child of children) await collect(child, true, found);
}

/** Per pair, the sum of its heartbeats over the last `hours` hours (0 when the metric has no data). */
async function heartbeatSums(pairs: { account: string; region: string }[], namespace: string, metricName: string, hours: number, now: number): Promise<number[]> {
  const sums = pairs.map(() => 0);
  const end = new Date(Math.floor(now / 60_000) * 60_000);
  const start = new Date(end.getTime() - hours * 3_600_000);
  for (let offset = 0; offset < pairs.length; offset += 500) {
    const queries: MetricDataQuery[] = pairs.slice(offset, offset + 500).map((p, i) => ({
      Id: `q${offset + i}`,
      MetricStat: {
        Metric: { Namespace: namespace, MetricName: metricName, Dimensions: [{ Name: 'Account', Value: p.account }, { Name: 'Region', Value: p.region }] },
        Period: 3600,
        Stat: 'Sum',
      },
    }));
    let token: string | undefined;
    do {
      const page: GetMetricDataCommandOutput = await cloudwatch.send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: start, EndTime: end, NextToken: token }));
      for (const result of page.MetricDataResults ?? []) {
        const index = Number(result.Id?.slice(1));
        if (!Number.isInteger(index)) continue;
        sums[index] += (result.Values ?? []).reduce((a, b) => a + b, 0);
      }
      token = page.NextToken;
    } while (token);
  }
  return sums;
}
