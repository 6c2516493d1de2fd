import { METADATA } from '../core/constants';
import { CONTROLS } from '../core/controls';
import { DEFAULT_BREAK_GLASS_ROLE_NAME } from '../keys/protected-key';
import { AssemblyMetadata, CloudAssemblyContents } from './assembly';

/**
 * Restore runbooks, one per classified store: the AWS CLI commands that restore its latest
 * recovery point or a point in time, from the data account's vault and from the backup account's
 * copy, the role to use, and where the RTO measured by the last drill is read.
 *
 * AWS rules relied on:
 * - Restores create a new resource ("Non-destructive restores", https://docs.aws.amazon.com/aws-backup/latest/devguide/restoring-a-backup.html),
 *   and run only where the recovery point is: its account and Region ("Restoring S3 data",
 *   https://docs.aws.amazon.com/aws-backup/latest/devguide/restoring-s3.html; copies: DESIGN, README "Restores only in the account
 *   that holds the recovery point").
 * - `list-recovery-points-by-backup-vault --by-resource-arn` (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListRecoveryPointsByBackupVault.html),
 *   `get-recovery-point-restore-metadata` (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_GetRecoveryPointRestoreMetadata.html)
 *   and `start-restore-job` with `--metadata`, `--iam-role-arn`, `--resource-type` (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_StartRestoreJob.html).
 * - Restore metadata naming the new resource, per type: S3 `DestinationBucketName` + `NewBucket`
 *   (restoring-s3.html), DynamoDB `targetTableName` (https://docs.aws.amazon.com/aws-backup/latest/devguide/restoring-dynamodb.html),
 *   RDS `DBInstanceIdentifier` (https://docs.aws.amazon.com/aws-backup/latest/devguide/restoring-rds.html), Aurora
 *   `DBClusterIdentifier` (https://docs.aws.amazon.com/aws-backup/latest/devguide/restoring-aur.html), EFS `newFileSystem` +
 *   `CreationToken` (https://docs.aws.amazon.com/aws-backup/latest/devguide/restoring-efs.html), EBS `availabilityZone`
 *   (https://docs.aws.amazon.com/aws-backup/latest/devguide/restoring-ebs.html): the keys `DrillResourceType` uses.
 * - Point in time: continuous backups restore to any second of their window ("Continuous backups and
 *   point-in-time recovery", https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery.html); for RDS they are
 *   the instance's automated backups, restored natively with `restore-db-instance-to-point-in-time`
 *   (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceToPointInTime.html), Aurora with
 *   `restore-db-cluster-to-point-in-time` (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterToPointInTime.html),
 *   DynamoDB tables with `restore-table-to-point-in-time` (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_RestoreTableToPointInTime.html);
 *   an S3 continuous recovery point takes its restore time in the console's "Restore time" pane
 *   (restoring-s3.html; no `StartRestoreJob` metadata key for it is documented, so none is printed).
 * - Copies of continuous backups are snapshots ("Copying continuous backups",
 *   https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery-copying.html): from the backup
 *   account, a point in time is the newest copy at or before it.
 */

/** One place a store can be restored from. */
export interface RunbookLocation {
  /** `data account` (the local vault) or `backup account` (the copy). */
  readonly location: string;
  readonly account: string;
  readonly region: string;
  /** The vault holding the recovery points (scheduled snapshots; copies in the backup account). */
  readonly backupVaultName: string;
  /** Who runs the commands. */
  readonly runAs: string;
  /** The role AWS Backup assumes to restore (`--iam-role-arn`). */
  readonly restoreRole: string;
  /** Shell lines: the variables, then the latest recovery point restored. */
  readonly latest: string[];
  /** Shell lines restoring a point in time. */
  readonly pointInTime: string[];
  readonly notes: string[];
}

/** The RTO: the objective, and where the last drill's measurement is read. */
export interface RunbookRto {
  /** The objective, hours (the drill target's, else the classification's). */
  readonly objectiveHours?: number;
  /** The drill target name (`Target` metric dimension, `latest-success/<target>.json`); undefined when no drill covers the store. */
  readonly drillTarget?: string;
  readonly drill?: string;
  /** Shell lines reading the measured RTO of the last successful drill. */
  readonly commands: string[];
  readonly note: string;
}

/** The restore runbook of one classified store. */
export interface RestoreRunbook {
  readonly constructPath: string;
  readonly stack: string;
  readonly classification: string;
  /** CloudFormation type. */
  readonly type?: string;
  /** AWS Backup resource type (`--resource-type`); undefined when the library cannot restore the type. */
  readonly backupResourceType?: string;
  /** The restore-metadata keys the commands set (the rest comes from the recovery point). */
  readonly restoreMetadata: Record<string, string>;
  readonly locations: RunbookLocation[];
  readonly rto: RunbookRto;
  /** Values unknown at synth, printed as `<...>` placeholders, and how to find each. */
  readonly placeholders: Array<{ readonly placeholder: string; readonly hint: string }>;
}

interface TypeInfo {
  readonly backup: string;
  /** Template property holding a literal physical name, and how it appears in the ARN. */
  readonly nameProp?: string;
  readonly arn: (account: string, region: string, id: string) => string;
  /** Restore metadata naming the restored copy after `newName`. */
  readonly metadata: (newName: string) => Record<string, string>;
  readonly newNameHint: string;
}

const TYPES: Record<string, TypeInfo> = {
  'AWS::S3::Bucket': {
    backup: 'S3', nameProp: 'BucketName',
    arn: (_a, _r, id) => `arn:aws:s3:::${id}`,
    metadata: (n) => ({ DestinationBucketName: n, NewBucket: 'true' }),
    newNameHint: 'a new, globally unique bucket name',
  },
  'AWS::DynamoDB::Table': {
    backup: 'DynamoDB', nameProp: 'TableName',
    arn: (a, r, id) => `arn:aws:dynamodb:${r}:${a}:table/${id}`,
    metadata: (n) => ({ targetTableName: n }),
    newNameHint: 'a table name not used in the account and Region',
  },
  'AWS::RDS::DBInstance': {
    backup: 'RDS', nameProp: 'DBInstanceIdentifier',
    arn: (a, r, id) => `arn:aws:rds:${r}:${a}:db:${id.toLowerCase()}`,
    metadata: (n) => ({ DBInstanceIdentifier: n }),
    newNameHint: 'a DB instance identifier not used in the account and Region',
  },
  'AWS::RDS::DBCluster': {
    backup: 'Aurora', nameProp: 'DBClusterIdentifier',
    arn: (a, r, id) => `arn:aws:rds:${r}:${a}:cluster:${id.toLowerCase()}`,
    metadata: (n) => ({ DBClusterIdentifier: n }),
    newNameHint: 'a DB cluster identifier not used in the account and Region',
  },
  'AWS::EFS::FileSystem': {
    backup: 'EFS',
    arn: (a, r, id) => `arn:aws:elasticfilesystem:${r}:${a}:file-system/${id}`,
    metadata: (n) => ({ newFileSystem: 'true', CreationToken: n }),
    newNameHint: 'a creation token for the new file system',
  },
  'AWS::EC2::Volume': {
    backup: 'EBS',
    arn: (a, r, id) => `arn:aws:ec2:${r}:${a}:volume/${id}`,
    metadata: () => ({ availabilityZone: '<availability zone>' }),
    newNameHint: 'the Availability Zone of the new volume',
  },
};
TYPES['AWS::DynamoDB::GlobalTable'] = TYPES['AWS::DynamoDB::Table'];

/** A shell-safe single-quoted word. */
const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/** The physical id of a stack resource, as a command substitution (run where the stack is deployed). */
const physicalId = (stackName: string, logicalId: string) =>
  `$(aws cloudformation describe-stack-resource --stack-name ${q(stackName)} --logical-resource-id ${q(logicalId)} --query StackResourceDetail.PhysicalResourceId --output text)`;

/** Builds the runbook of every classified store of the assembly. */
export function buildRunbooks(asm: CloudAssemblyContents): RestoreRunbook[] {
  const controls = asm.metadata.filter((m) => m.type === METADATA.CONTROL);
  return asm.metadata.filter((m) => m.type === METADATA.CLASSIFIED).map((m) => runbookOf(m, asm, controls));
}

function runbookOf(m: AssemblyMetadata, asm: CloudAssemblyContents, controls: AssemblyMetadata[]): RestoreRunbook {
  const path = m.path;
  const logical = asm.metadata.find((x) => x.type === 'aws:cdk:logicalId' && x.stack === m.stack && (x.path === path || x.path === `${path}/Resource`));
  const stack = asm.stacks.find((s) => s.artifactId === m.stack) ?? asm.stacks.find((s) => s.name === m.stack);
  const res = logical ? stack?.template.Resources?.[logical.data] : undefined;
  const type: string | undefined = res?.Type;
  const info = type ? TYPES[type] : undefined;
  const own = controls.filter((c) => c.path === path || c.path === path.replace(/\/Resource$/, '')).map((c) => c.data);
  const plan = own.find((c) => c.control === CONTROLS.BACKUP_PLAN);
  const drill = own.find((c) => c.control === CONTROLS.RESTORE_DRILL);
  const placeholders: Array<{ placeholder: string; hint: string }> = [];
  const hole = (placeholder: string, hint: string) => {
    if (!placeholders.some((p) => p.placeholder === placeholder)) placeholders.push({ placeholder, hint });
    return placeholder;
  };
  const account = stack?.account ?? hole('<data account>', `the account of stack ${m.stack} (its environment is not set at synth)`);
  const region = stack?.region ?? hole('<region>', `the Region of stack ${m.stack} (its environment is not set at synth)`);
  const stackName = stack?.stackName ?? m.stack;
  const base = { constructPath: path, stack: stack?.name ?? m.stack, classification: String(m.data?.classification), type };
  const objective = typeof drill?.rtoSeconds === 'number' ? drill.rtoSeconds / 3600 : m.data?.policy?.rtoHours;
  const rto = rtoOf(drill, asm, objective, hole);
  if (!info) {
    return { ...base, restoreMetadata: {}, locations: [], rto, placeholders };
  }

  // The store's ARN: literal from its physical name, else read from its deployed stack.
  const literalName = info.nameProp ? res?.Properties?.[info.nameProp] : undefined;
  const id = typeof literalName === 'string' ? literalName : logical ? physicalId(stackName, String(logical.data)) : hole('<resource id>', `the physical id of ${path}`);
  const resourceArn = info.arn(account, region, id);
  const newName = hole('<new name>', `${info.newNameHint}; never start it with 'drill-' (the drill's cleanup deletes such copies)`);
  const restoreMetadata = info.metadata(newName);
  if (info.backup === 'EBS') hole('<availability zone>', 'the Availability Zone of the new volume, e.g. eu-west-1a');

  const restoreRole = drill?.restoreRole
    ? roleOf(String(drill.restoreRole), asm, account, hole)
    : hole('<restore role ARN>', 'a role AWS Backup (backup.amazonaws.com) can assume with the managed policies AWSBackupServiceRolePolicyForRestores (and AWSBackupServiceRolePolicyForS3Restore for S3) and kms:Decrypt/CreateGrant on the recovery point\'s key');
  // Scheduled recovery points of a level backed up into the account's logically air-gapped vault (DataAccountStackProps.airGappedPrimary) are there.
  const scheduledVault = plan?.airGappedPrimaryVaultName ?? plan?.backupVaultName;
  const localVault = plan?.continuousBackupVaultName ?? scheduledVault ?? hole('<local vault>', `the locked vault of ${path}'s retention class in the data account (DataAccountStack.backupVaults; the backup-plan control of the report's JSON names it when literal)`);
  const locations: RunbookLocation[] = [
    location({
      location: 'data account', account, region, vault: String(localVault), resourceArn, backupType: info.backup, restoreMetadata,
      runAs: 'an operator of the data account allowed to start restores and pass the restore role (iam:PassRole)',
      restoreRole,
      pointInTime: nativePointInTime(info.backup, id, newName, plan),
      notes: [
        ...(drill?.restoreRole ? ['The restore role is the drill\'s: the data-access alarms treat its restores as expected, so announce a real restore to whoever watches them.'] : []),
        ...(plan?.continuousBackupVaultName && plan.continuousBackupVaultName !== scheduledVault
          ? [`Continuous recovery points are in ${plan.continuousBackupVaultName}, scheduled snapshots in ${scheduledVault}: for an older snapshot, set VAULT=${q(String(scheduledVault))}.`]
          : []),
      ],
    }),
  ];
  if (plan?.crossAccountCopy === true) {
    const copyAccount = plan.copyAccount ?? hole('<backup account>', 'the backup account id (cdk-data-protection:accounts.backup)');
    const copyRegion = plan.copyRegion ?? region;
    locations.push(
      location({
        location: 'backup account', account: String(copyAccount), region: String(copyRegion),
        vault: String(plan.copyVaultName ?? hole('<central vault>', "the backup account's central vault of the store's retention class (data-protection-central, data-protection-central-365d)")),
        resourceArn, backupType: info.backup, restoreMetadata,
        runAs: `the break-glass role of the backup account (${DEFAULT_BREAK_GLASS_ROLE_NAME} unless renamed): the data account may be compromised or gone`,
        restoreRole: hole('<backup-account restore role ARN>', 'a role of the backup account that AWS Backup can assume with AWSBackupServiceRolePolicyForRestores (and AWSBackupServiceRolePolicyForS3Restore for S3) and the use of the central vault\'s key'),
        pointInTime: [
          '# Copies are snapshots (continuous backups are copied as snapshots): restore the newest copy at or before the time,',
          '# listed above (CreationDate), with the commands above and RP set to its ARN.',
        ],
        notes: ['Restores happen only in the account that holds the recovery point: the restored copy is created in the backup account; move the data to a recovered data account from there.'],
      }),
    );
  }
  return { ...base, backupResourceType: info.backup, restoreMetadata, locations, rto, placeholders };
}

function location(o: {
  location: string; account: string; region: string; vault: string; resourceArn: string; backupType: string; restoreMetadata: Record<string, string>;
  runAs: string; restoreRole: string; pointInTime: string[]; notes: string[];
}): RunbookLocation {
  const latest = [
    `export AWS_REGION=${q(o.region)}   # account ${o.account}`,
    `VAULT=${q(o.vault)}`,
    `RESOURCE_ARN="${o.resourceArn}"`,
    `RESTORE_ROLE_ARN="${o.restoreRole}"`,
    '# The recovery points of the store in the vault, oldest first:',
    'aws backup list-recovery-points-by-backup-vault --backup-vault-name "$VAULT" --by-resource-arn "$RESOURCE_ARN" \\',
    "  --query 'sort_by(RecoveryPoints, &CreationDate)[].[CreationDate, Status, RecoveryPointArn]' --output table",
    '# The newest one:',
    'RP=$(aws backup list-recovery-points-by-backup-vault --backup-vault-name "$VAULT" --by-resource-arn "$RESOURCE_ARN" \\',
    "  --query 'sort_by(RecoveryPoints, &CreationDate)[-1].RecoveryPointArn' --output text)",
    '# Its restore metadata, with the new resource named (requires jq):',
    'aws backup get-recovery-point-restore-metadata --backup-vault-name "$VAULT" --recovery-point-arn "$RP" --query RestoreMetadata --output json \\',
    `  | jq '. + ${JSON.stringify(o.restoreMetadata).replace(/'/g, "'\\''")}' > restore-metadata.json`,
    `aws backup start-restore-job --recovery-point-arn "$RP" --iam-role-arn "$RESTORE_ROLE_ARN" --resource-type ${o.backupType} \\`,
    '  --metadata file://restore-metadata.json --query RestoreJobId --output text',
    'aws backup describe-restore-job --restore-job-id "<restore job id>"   # until Status is COMPLETED: CreatedResourceArn is the copy',
  ];
  return { location: o.location, account: o.account, region: o.region, backupVaultName: o.vault, runAs: o.runAs, restoreRole: o.restoreRole, latest, pointInTime: o.pointInTime, notes: o.notes };
}

/** Point in time in the data account: the service's own restore where it has one (continuous backups are its automated backups). */
function nativePointInTime(backupType: string, id: string, newName: string, plan: Record<string, any> | undefined): string[] {
  const time = '<UTC time, e.g. 2025-01-31T09:30:00Z>';
  const continuous = typeof plan?.localRpo === 'string' && plan.localRpo.startsWith('continuous');
  const snapshotPick = [
    '# Snapshots only: restore the newest recovery point at or before the time, listed above (CreationDate),',
    '# with the commands above and RP set to its ARN.',
  ];
  if (!continuous) return snapshotPick;
  switch (backupType) {
    case 'RDS':
      return [`aws rds restore-db-instance-to-point-in-time --source-db-instance-identifier "${id}" --target-db-instance-identifier ${q(newName)} --restore-time ${q(time)}`];
    case 'Aurora':
      return [`aws rds restore-db-cluster-to-point-in-time --source-db-cluster-identifier "${id}" --db-cluster-identifier ${q(newName)} --restore-to-time ${q(time)}`,
        '# Aurora restores the cluster without instances: add one with aws rds create-db-instance --db-cluster-identifier.'];
    case 'DynamoDB':
      return [`aws dynamodb restore-table-to-point-in-time --source-table-name "${id}" --target-table-name ${q(newName)} --restore-date-time ${q(time)}`];
    case 'S3':
      return ['# Restore the continuous recovery point (its window: up to 35 days) in the AWS Backup console and set "Restore time";',
        '# without a time, the commands above restore it to the latest restorable time.'];
    default:
      return snapshotPick;
  }
}

/** The restore role's ARN: its literal name, else read from its stack. */
function roleOf(rolePath: string, asm: CloudAssemblyContents, account: string, hole: (p: string, h: string) => string): string {
  const logical = asm.metadata.find((x) => x.type === 'aws:cdk:logicalId' && (x.path === `${rolePath}/Resource` || x.path === rolePath));
  const stack = logical ? asm.stacks.find((s) => s.artifactId === logical.stack) : undefined;
  const res = logical ? stack?.template.Resources?.[logical.data] : undefined;
  if (typeof res?.Properties?.RoleName === 'string') return `arn:aws:iam::${account}:role/${res.Properties.RoleName}`;
  if (logical && stack?.stackName) return `arn:aws:iam::${account}:role/${physicalId(stack.stackName, String(logical.data))}`;
  return hole('<restore role ARN>', `the ARN of the drill's restore role ${rolePath}`);
}

function rtoOf(drill: Record<string, any> | undefined, asm: CloudAssemblyContents, objectiveHours: number | undefined, hole: (p: string, h: string) => string): RunbookRto {
  if (!drill || typeof drill.target !== 'string') {
    return {
      objectiveHours,
      commands: [],
      note: drill ? 'The drill of this store records no target name (a drill of an older library version): read its evidence bucket\'s latest-success/ pointers.' : 'No restore drill covers this store: no RTO has been measured.',
    };
  }
  const target = drill.target;
  const logical = drill.evidenceBucket ? asm.metadata.find((x) => x.type === 'aws:cdk:logicalId' && (x.path === `${drill.evidenceBucket}/Resource` || x.path === drill.evidenceBucket)) : undefined;
  const stack = logical ? asm.stacks.find((s) => s.artifactId === logical.stack) : undefined;
  const bucket = logical && stack?.stackName ? physicalId(stack.stackName, String(logical.data)) : hole('<evidence bucket>', `the evidence bucket of drill ${drill.drill}`);
  return {
    objectiveHours,
    drillTarget: target,
    drill: drill.drill,
    commands: [
      `BUCKET="${bucket}"`,
      `# The last successful drill of ${target}: its pointer names the evidence record, whose rto.measuredSeconds is the RTO.`,
      `aws s3 cp "s3://$BUCKET/latest-success/${target}.json" - | jq -r .evidenceKey | xargs -I{} aws s3 cp "s3://$BUCKET/{}" - | jq '.rto'`,
      `# Every drill's measured RTO (seconds) over the last 90 days (metric RestoreTimeSeconds, namespace DataProtection, dimension Target):`,
      `aws cloudwatch get-metric-statistics --namespace DataProtection --metric-name RestoreTimeSeconds --dimensions Name=Target,Value=${target} \\`,
      `  --statistics Maximum --period 86400 --start-time "$(date -u -d '-90 days' +%FT%TZ)" --end-time "$(date -u +%FT%TZ)"`,
    ],
    note: 'The report is built at synth and cannot read AWS: the measured RTO is in the drill\'s evidence and metrics, read in the data account.',
  };
}

/** The runbooks as Markdown: one collapsible section per store (written to `data-protection-runbooks.md`). */
export function renderRunbooks(runbooks: RestoreRunbook[]): string {
  const lines = [
    '## Restore runbooks',
    '',
    'One section per classified store. Every restore creates a new resource (AWS Backup never overwrites); `<...>` are values unknown at synth ' +
      '(see each section\'s placeholders); `$(aws cloudformation describe-stack-resource ...)` reads a generated name from the deployed stack (run it in the account named).',
    '',
  ];
  for (const r of runbooks) {
    lines.push(`<details><summary><code>${r.constructPath}</code> — ${r.classification}${r.backupResourceType ? `, ${r.backupResourceType}` : ''}${r.rto.objectiveHours !== undefined ? `, RTO objective ${r.rto.objectiveHours} h` : ''}</summary>`, '');
    if (r.locations.length === 0) lines.push(`No runbook: the library does not restore ${r.type ?? 'this resource type'} (or the resource is not in a template).`, '');
    for (const l of r.locations) {
      lines.push(
        `#### From the ${l.location} (${l.account}, ${l.region}, vault \`${l.backupVaultName}\`)`,
        '',
        `Run as ${l.runAs}. Restore role: ${l.restoreRole.startsWith('<') ? l.restoreRole.replace(/</g, '&lt;') : `\`${l.restoreRole}\``}.`,
        '',
        'Latest recovery point:',
        '',
        '```sh', ...l.latest, '```',
        '',
        'Point in time:',
        '',
        '```sh', ...l.pointInTime, '```',
        '',
        ...l.notes.map((n) => `- ${n}`),
        ...(l.notes.length > 0 ? [''] : []),
      );
    }
    lines.push(`#### RTO measured by the last drill${r.rto.drillTarget ? ` (target \`${r.rto.drillTarget}\`)` : ''}`, '', r.rto.note, '');
    if (r.rto.commands.length > 0) lines.push('```sh', ...r.rto.commands, '```', '');
    if (r.placeholders.length > 0) {
      lines.push('Placeholders:', '', ...r.placeholders.map((p) => `- \`${p.placeholder}\`: ${p.hint}`), '');
    }
    lines.push('</details>', '');
  }
  return lines.join('\n');
}
