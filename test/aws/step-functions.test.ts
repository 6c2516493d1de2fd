/**
 * Every `aws-sdk:<service>:<action>` task of every state machine in the reference app and the
 * examples exists in the AWS SDK v3 client, passes only (and all required) members of the input
 * shape, reads only members of the output shape, and the state machine's role allows the call
 * (and iam:PassRole where it passes a role). See ./state-machines.ts.
 */
import { APP_NAMES, SynthesizedTemplate, synthesizeAll } from './apps';
import { IamCatalog } from './iam-data';
import { checkSdkTask, findSdkTasks, findStateMachines, pathSegments, pathsIn, resultReads, SdkTask } from './state-machines';

const templates = synthesizeAll();
const machines = findStateMachines(templates);
const tasks = findSdkTasks(machines);
const catalog = new IamCatalog();

async function check(list: SdkTask[]): Promise<string[]> {
  const out: string[] = [];
  for (const t of list) out.push(...(await checkSdkTask(catalog, t)));
  return out;
}

describe('Step Functions aws-sdk tasks against the AWS SDK v3 models and the IAM data', () => {
  let findings: string[];
  beforeAll(async () => {
    findings = await check(tasks);
  });

  test('every app has a drill state machine whose aws-sdk tasks are checked', () => {
    const apps = new Set(machines.map((m) => m.template.app));
    expect([...apps].sort()).toEqual([...APP_NAMES].sort());
    const calls = new Set(tasks.map((t) => `${t.service}:${t.action}`));
    // The drill's core calls: restoring the recovery point, watching the job.
    expect([...calls]).toEqual(expect.arrayContaining(['backup:startRestoreJob', 'backup:describeRestoreJob']));
  });

  test('result reads are followed into later states (Choice rules, Parameters, intrinsic functions)', () => {
    const describe = tasks.find((t) => t.machine.template.app === 'reference' && t.action === 'describeRestoreJob')!;
    const reads = resultReads(describe).map((r) => r.path);
    expect(reads).toEqual(expect.arrayContaining([expect.stringMatching(/^\$\.\w+\.Status$/), expect.stringMatching(/^\$\.\w+\.CreatedResourceArn$/)]));
  });

  test('no finding: every task exists, its parameters and result reads match the SDK model, the role allows it', () => {
    expect(findings).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The check can fail: a small state machine, correct, then with one defect at a time.

const ROLE = 'MachineRole';
function fixture(definition: Record<string, any>, actions: string[], passRole: unknown = { 'Fn::GetAtt': ['RestoreRole', 'Arn'] }): SynthesizedTemplate {
  const statements: any[] = [{ Effect: 'Allow', Action: actions, Resource: '*' }];
  if (passRole) statements.push({ Effect: 'Allow', Action: 'iam:PassRole', Resource: passRole });
  return {
    app: 'fixture',
    stack: 'Fixture',
    account: '222222222222',
    region: 'eu-west-1',
    template: {
      Resources: {
        [ROLE]: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Statement: [] } } },
        RestoreRole: { Type: 'AWS::IAM::Role', Properties: {} },
        Policy: { Type: 'AWS::IAM::Policy', Properties: { Roles: [{ Ref: ROLE }], PolicyDocument: { Statement: statements } } },
        Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { RoleArn: { 'Fn::GetAtt': [ROLE, 'Arn'] }, Definition: definition } },
      },
    },
  };
}

const ACTIONS = ['backup:ListRecoveryPointsByBackupVault', 'backup:StartRestoreJob', 'backup:DescribeRestoreJob'];

function definition(): Record<string, any> {
  return {
    StartAt: 'List',
    States: {
      List: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:backup:listRecoveryPointsByBackupVault',
        Parameters: { 'BackupVaultName.$': '$.vault', 'ByResourceArn.$': '$.arn' },
        ResultSelector: { 'Points.$': '$.RecoveryPoints' },
        ResultPath: '$.listed',
        Next: 'Start',
      },
      Start: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:backup:startRestoreJob',
        Parameters: { 'RecoveryPointArn.$': '$.listed.Points[0].RecoveryPointArn', 'Metadata': { a: 'b' }, 'IamRoleArn': '{{GetAtt:RestoreRole.Arn}}' },
        ResultPath: '$.restore',
        Next: 'Describe',
      },
      Describe: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:backup:describeRestoreJob',
        Parameters: { 'RestoreJobId.$': '$.restore.RestoreJobId' },
        ResultPath: '$.job',
        Next: 'Done?',
      },
      'Done?': {
        Type: 'Choice',
        Choices: [{ And: [{ Variable: '$.job.Status', StringEquals: 'COMPLETED' }, { Variable: '$.job.CreatedResourceArn', IsPresent: true }], Next: 'Done' }],
        Default: 'Describe',
      },
      Done: { Type: 'Pass', Parameters: { 'copy.$': "States.Format('{}', $.job.CreatedResourceArn)" }, End: true },
    },
  };
}

async function fixtureFindings(def: Record<string, any>, actions = ACTIONS, passRole?: unknown): Promise<string[]> {
  const t = passRole === undefined ? fixture(def, actions) : fixture(def, actions, passRole);
  const found = await check(findSdkTasks(findStateMachines([t])));
  return found.map((f) => f.replace(/^fixture Fixture Machine /, ''));
}

test('JSONPaths: segments, filters as list indexes, calls cut off; paths inside intrinsic functions; context paths ignored', () => {
  expect(pathSegments('$.a.b[0].c')).toEqual(['a', 'b', '[0]', 'c']);
  expect(pathSegments("$.x[?(@.y == 'z')].w")).toEqual(['x', "[?(@.y == 'z')]", 'w']);
  expect(pathSegments('$.a.length()')).toEqual(['a']);
  expect(pathsIn("States.Format('{}-{}', $.job.CreatedResourceArn, $$.Execution.Name)")).toEqual(['$.job.CreatedResourceArn']);
  expect(pathsIn('$$.Map.Item.Value')).toEqual([]);
});

describe('the Step Functions check catches', () => {
  test('nothing in the correct fixture', async () => {
    expect(await fixtureFindings(definition())).toEqual([]);
  });

  test('an action the SDK does not have', async () => {
    const def = definition();
    def.States.Describe.Resource = 'arn:aws:states:::aws-sdk:backup:describeRestoreJobs';
    expect(await fixtureFindings(def)).toEqual([expect.stringContaining('@aws-sdk/client-backup has no DescribeRestoreJobsCommand')]);
  });

  test('a service with no SDK client', async () => {
    const def = definition();
    def.States.Describe.Resource = 'arn:aws:states:::aws-sdk:bakcup:describeRestoreJob';
    expect(await fixtureFindings(def)).toEqual([expect.stringContaining("no AWS SDK v3 client for service 'bakcup'")]);
  });

  test('a parameter that is not in the input shape, top level or nested', async () => {
    const def = definition();
    def.States.List.Parameters['ByResourceArns.$'] = def.States.List.Parameters['ByResourceArn.$'];
    delete def.States.List.Parameters['ByResourceArn.$'];
    def.States.Start.Resource = 'arn:aws:states:::aws-sdk:ec2:createTags';
    def.States.Start.Parameters = { 'Resources.$': 'States.Array($.id)', 'Tags': [{ Key: 'a', Valeu: 'b' }] };
    def.States.Start.ResultPath = null;
    expect(await fixtureFindings(def, [...ACTIONS, 'ec2:CreateTags'])).toEqual([
      expect.stringContaining("'List' (aws-sdk:backup:listRecoveryPointsByBackupVault): Parameters ByResourceArns.$: not a member of ListRecoveryPointsByBackupVaultInput"),
      expect.stringContaining("'Start' (aws-sdk:ec2:createTags): Parameters Tags[0].Valeu: not a member of Tag (members: Key, Value)"),
    ]);
  });

  test('a required parameter left out', async () => {
    const def = definition();
    delete def.States.Start.Parameters.Metadata;
    expect(await fixtureFindings(def)).toEqual([expect.stringContaining("'Start' (aws-sdk:backup:startRestoreJob): Parameters lacks Metadata, required by StartRestoreJob")]);
  });

  test('a later state reading a field the result does not have', async () => {
    const def = definition();
    def.States['Done?'].Choices[0].And[0].Variable = '$.job.State';
    expect(await fixtureFindings(def)).toEqual([expect.stringContaining("'Done?' reads $.job.State: 'State' is not in DescribeRestoreJobOutput")]);
  });

  test('an intrinsic function reading a field the result does not have', async () => {
    const def = definition();
    def.States.Done.Parameters['copy.$'] = "States.Format('{}', $.job.CreatedResource)";
    expect(await fixtureFindings(def)).toEqual([expect.stringContaining("'Done' reads $.job.CreatedResource: 'CreatedResource' is not in")]);
  });

  test('a ResultSelector reading a field the output does not have, and a read past its fields', async () => {
    const def = definition();
    def.States.List.ResultSelector = { 'Points.$': '$.RecoveryPoint' };
    def.States.Start.Parameters['RecoveryPointArn.$'] = '$.listed.Point[0].RecoveryPointArn';
    expect(await fixtureFindings(def)).toEqual([
      expect.stringContaining("ResultSelector 'Points.$' reads $.RecoveryPoint: 'RecoveryPoint' is not in ListRecoveryPointsByBackupVaultOutput"),
      expect.stringContaining("'Start' reads $.listed.Point[0].RecoveryPointArn: 'Point' is not a field of its ResultSelector (Points)"),
    ]);
  });

  test('a role that does not allow the call', async () => {
    expect(await fixtureFindings(definition(), ACTIONS.filter((a) => a !== 'backup:DescribeRestoreJob'))).toEqual([
      expect.stringContaining("'Describe' (aws-sdk:backup:describeRestoreJob): the role MachineRole does not allow backup:DescribeRestoreJob"),
    ]);
  });

  test('a role passed without iam:PassRole on it', async () => {
    expect(await fixtureFindings(definition(), ACTIONS, { 'Fn::GetAtt': ['OtherRole', 'Arn'] })).toEqual([
      expect.stringContaining("'Start' (aws-sdk:backup:startRestoreJob): passes IamRoleArn ({{GetAtt:RestoreRole.Arn}}) but the role MachineRole does not allow iam:PassRole on it"),
    ]);
  });
});
