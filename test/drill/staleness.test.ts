/**
 * The daily staleness check, the REAL bundled handler (assets/handlers/drill-staleness) against the
 * fake AWS: a success counts only when AWS Backup's restore job record confirms it, dated by its
 * CompletionDate; evidence files the data account can write do not make a target fresh.
 */
import { describePastRestoreJob, earlierSuccess, objectStore, RESTORE_ROLE_ARN, StoredObject, withFakeAws } from './drill-harness';
import { FakeAws } from './fake-aws';

let aws: FakeAws;
withFakeAws((a) => (aws = a));

let objects: Map<string, StoredObject>;
beforeEach(() => {
  objects = new Map();
  aws.on('s3.GetObject', objectStore(objects));
  aws.on('backup.DescribeRestoreJob', describePastRestoreJob);
  process.env.DRILL_ID = 'Data/RestoreDrill';
});

async function check(targets: { name: string; intervalDays: number; resourceArn?: string }[]) {
  process.env.DRILL_TARGETS = JSON.stringify(targets);
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    const out = await require('../../assets/handlers/drill-staleness/index.js').handler();
    const emf = log.mock.calls.map((c) => JSON.parse(c[0]));
    return { ...out, emf, drillEmf: emf.find((e: any) => 'StaleTargets' in e), warnings: warn.mock.calls.flat().join('\n') };
  } finally {
    log.mockRestore();
    warn.mockRestore();
  }
}

test('verified: the job is COMPLETED by the drill restore role; the age is from its CompletionDate, not from the evidence files', async () => {
  // The files claim yesterday; AWS Backup completed the restore 3 days ago.
  earlierSuccess(objects, 'employees', { daysAgo: 3, claimedDaysAgo: 1 });
  const r = await check([{ name: 'employees', intervalDays: 30 }]);
  expect(r.states).toEqual({ employees: 'verified' });
  expect(Math.round(r.ages.employees)).toBe(3);
  expect(r.stale).toEqual([]);
  expect(aws.callsOf('backup.DescribeRestoreJob')).toEqual([{ RestoreJobId: 'job-employees-earlier' }]);
  expect(r.emf).toContainEqual(expect.objectContaining({ Target: 'employees', DaysSinceLastSuccessfulDrill: 3 }));
  expect(r.drillEmf).toMatchObject({ Drill: 'Data/RestoreDrill', StaleTargets: 0, UnverifiedTargets: 0 });
});

test('a rewritten pointer (new LastModified) naming an old real drill is dated by that drill: stale past its interval', async () => {
  earlierSuccess(objects, 'employees', { daysAgo: 45 });
  objects.get('latest-success/employees.json')!.lastModified = new Date().toISOString();
  const r = await check([{ name: 'employees', intervalDays: 30 }]);
  expect(r.states.employees).toBe('verified');
  expect(Math.round(r.ages.employees)).toBe(45);
  expect(r.stale).toEqual(['employees']);
});

test('forged: evidence written yesterday naming a restore job AWS Backup does not have counts as no success (stale)', async () => {
  earlierSuccess(objects, 'employees', { daysAgo: 1, restoreJobId: 'job-forged', job: 'gone' });
  const r = await check([{ name: 'employees', intervalDays: 30 }]);
  expect(r.states).toEqual({ employees: 'rejected' });
  expect(r.ages.employees).toBeNull();
  expect(r.stale).toEqual(['employees']);
  expect(r.drillEmf).toMatchObject({ StaleTargets: 1, UnverifiedTargets: 0 });
  expect(r.warnings).toContain('AWS Backup has no restore job job-forged');
  expect(r.warnings).toContain('forged evidence');
});

test('a job AWS Backup contradicts (another role, not COMPLETED) counts as no success (stale)', async () => {
  earlierSuccess(objects, 'employees', { daysAgo: 2, job: { Status: 'COMPLETED', IamRoleArn: 'arn:aws:iam::111111111111:role/attacker', CompletionDate: new Date().toISOString() } });
  earlierSuccess(objects, 'documents', { daysAgo: 2, job: { Status: 'FAILED', IamRoleArn: RESTORE_ROLE_ARN, CompletionDate: new Date().toISOString() } });
  const r = await check([{ name: 'employees', intervalDays: 30 }, { name: 'documents', intervalDays: 30 }]);
  expect(r.states).toEqual({ employees: 'rejected', documents: 'rejected' });
  expect(r.stale).toEqual(['employees', 'documents']);
  expect(r.warnings).toContain("not the drill's restore role");
  expect(r.warnings).toContain('status FAILED');
});

test('a pointer naming no evidence record of the target, or a record that is not a success, counts as no success', async () => {
  objects.set('latest-success/employees.json', { body: { evidenceKey: 'canaries/employees/x.json' }, lastModified: new Date().toISOString() });
  const r = await check([{ name: 'employees', intervalDays: 30 }, { name: 'never', intervalDays: 30 }]);
  expect(r.states).toEqual({ employees: 'rejected', never: 'none' });
  expect(r.stale).toEqual(['employees', 'never']);
});

test('job record gone (evidence older than the 30 days AWS Backup is assumed to keep it): unverified, dated by the evidence, counted in UnverifiedTargets, stale past its interval', async () => {
  earlierSuccess(objects, 'documents', { daysAgo: 40, job: 'gone' });
  earlierSuccess(objects, 'employees', { daysAgo: 40, job: 'gone' });
  const r = await check([{ name: 'documents', intervalDays: 90 }, { name: 'employees', intervalDays: 30 }]);
  expect(r.states).toEqual({ documents: 'unverified', employees: 'unverified' });
  expect(Math.round(r.ages.documents)).toBe(40);
  expect(r.stale).toEqual(['employees']);
  expect(r.unverified).toEqual(['documents', 'employees']);
  expect(r.drillEmf).toMatchObject({ StaleTargets: 1, UnverifiedTargets: 2 });
  expect(r.warnings).toContain('last success unverified');
});

test('an evidence record claiming a later date than S3 wrote it is dated by the write (LastModified of the locked object)', async () => {
  earlierSuccess(objects, 'documents', { daysAgo: 60, claimedDaysAgo: 31, job: 'gone' });
  const r = await check([{ name: 'documents', intervalDays: 90 }]);
  expect(r.states.documents).toBe('unverified');
  expect(Math.round(r.ages.documents)).toBe(60);
});

test('AWS Backup refusing DescribeRestoreJob fails the check (no metric: the stale alarm treats missing data as breaching)', async () => {
  earlierSuccess(objects, 'employees', { daysAgo: 3 });
  aws.fails('backup.DescribeRestoreJob', 'AccessDeniedException', 'not authorized to perform: backup:DescribeRestoreJob', 403);
  await expect(check([{ name: 'employees', intervalDays: 30 }])).rejects.toThrow(/backup:DescribeRestoreJob/);
});

test("NativeRestoreTesting's check (RESTORE_TESTING_PLAN_ARN): only restore jobs of that very plan count; the drill's or another plan's jobs are no success", async () => {
  const PLAN = 'arn:aws:backup:eu-west-1:111111111111:restore-testing-plan:data_protection_Data_RestoreTesting';
  const at = new Date(Date.now() - 2 * 86_400_000).toISOString();
  const job = (createdBy?: string, validation = 'SUCCESSFUL') => ({ Status: 'COMPLETED', IamRoleArn: RESTORE_ROLE_ARN, CompletionDate: at, ValidationStatus: validation, ...(createdBy ? { CreatedBy: { RestoreTestingPlanArn: createdBy } } : {}) });
  earlierSuccess(objects, 'employees', { daysAgo: 2, job: job(PLAN) });
  // A job of the plan whose copy failed the validator (AWS Backup's ValidationStatus), claimed as a success by a forged record.
  earlierSuccess(objects, 'ledger', { daysAgo: 2, job: job(PLAN, 'FAILED') });
  earlierSuccess(objects, 'documents', { daysAgo: 2, job: job() });
  earlierSuccess(objects, 'payroll', { daysAgo: 2, job: job(`${PLAN}_other`) });
  process.env.RESTORE_TESTING_PLAN_ARN = PLAN;
  try {
    const r = await check([{ name: 'employees', intervalDays: 30 }, { name: 'documents', intervalDays: 30 }, { name: 'payroll', intervalDays: 30 }, { name: 'ledger', intervalDays: 30 }]);
    expect(r.states).toEqual({ employees: 'verified', documents: 'rejected', payroll: 'rejected', ledger: 'rejected' });
    expect(r.stale).toEqual(['documents', 'payroll', 'ledger']);
    expect(r.warnings).toContain('validation status FAILED, not SUCCESSFUL');
    expect(r.warnings).toContain(`created by no restore testing plan, not the restore testing plan ${PLAN}`);
    expect(r.warnings).toContain(`created by ${PLAN}_other`);
  } finally {
    delete process.env.RESTORE_TESTING_PLAN_ARN;
  }
  // Without it (the drill's own check), the plan's job is refused.
  const drill = await check([{ name: 'employees', intervalDays: 30 }]);
  expect(drill.states).toEqual({ employees: 'rejected' });
  expect(drill.warnings).toContain(`created by the restore testing plan ${PLAN}`);
});

test("a success claimed with another store's real restore job counts as none: the job must have restored this store (SourceResourceArn)", async () => {
  earlierSuccess(objects, 'employees', { daysAgo: 2, sourceArn: 'arn:aws:dynamodb:eu-west-1:111111111111:table/payroll' });
  earlierSuccess(objects, 'documents', { daysAgo: 2, sourceArn: 'arn:aws:s3:::hr-documents' });
  const r = await check([
    { name: 'employees', intervalDays: 30, resourceArn: 'arn:aws:dynamodb:eu-west-1:111111111111:table/employees' },
    { name: 'documents', intervalDays: 30, resourceArn: 'arn:aws:s3:::hr-documents' },
  ]);
  expect(r.states).toEqual({ employees: 'rejected', documents: 'verified' });
  expect(r.stale).toEqual(['employees']);
  expect(r.warnings).toContain('it restored arn:aws:dynamodb:eu-west-1:111111111111:table/payroll, not arn:aws:dynamodb:eu-west-1:111111111111:table/employees');
});

test('UNVERIFIED_IS_STALE (restore testing that runs daily or weekly): a success whose job record is gone counts as stale', async () => {
  earlierSuccess(objects, 'employees', { daysAgo: 40, job: 'gone' });
  process.env.UNVERIFIED_IS_STALE = 'true';
  try {
    const r = await check([{ name: 'employees', intervalDays: 90 }]);
    expect(r.states).toEqual({ employees: 'unverified' });
    expect(r.stale).toEqual(['employees']);
  } finally {
    delete process.env.UNVERIFIED_IS_STALE;
  }
  // Without it (the drill, whose levels' intervals exceed the job records), it stays fresh within its interval.
  expect((await check([{ name: 'employees', intervalDays: 90 }])).stale).toEqual([]);
});
