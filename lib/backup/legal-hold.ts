import { RemovalPolicy, Token } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import { Construct } from 'constructs';

export interface BackupLegalHoldProps {
  /** Short title, e.g. the case or ticket number. */
  readonly title: string;
  /** Why the recovery points are held (who asked, which investigation). */
  readonly description: string;
  /**
   * ARNs of the resources whose recovery points are held.
   * @default - every resource (narrowed by the vaults and dates)
   */
  readonly resourceArns?: string[];
  /** Names of the vaults whose recovery points are held. @default - every vault */
  readonly backupVaultNames?: string[];
  /** Hold recovery points created from this date (ISO 8601, e.g. `2024-01-01T00:00:00Z`). Needs `toDate`. @default - no date range */
  readonly fromDate?: string;
  /** Hold recovery points created until this date (ISO 8601). Needs `fromDate`. @default - no date range */
  readonly toDate?: string;
  /**
   * What happens to the hold when it is removed from the app. RETAIN keeps the hold in place
   * (it is lifted only by `CancelLegalHold` with a reason, on purpose); DESTROY lifts it.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Puts recovery points under an AWS Backup legal hold, so that no retention rule or lifecycle
 * deletes evidence under investigation: by resource, by vault and/or by creation date range.
 * Held recovery points stay until the hold is cancelled, whatever their retention says.
 * Retained by default: removing the construct from the app does not lift the hold.
 */
export class BackupLegalHold extends Construct {
  public readonly resource: backup.CfnLegalHold;
  /** The legal hold's ARN. */
  public readonly legalHoldArn: string;

  public constructor(scope: Construct, id: string, props: BackupLegalHoldProps) {
    super(scope, id);
    if (!props.title || props.title.trim() === '') throw new Error("BackupLegalHoldProps.title must be a non-empty string, got ''");
    if (!props.description || props.description.trim() === '') {
      throw new Error("BackupLegalHoldProps.description must say why the recovery points are held, got ''");
    }
    if ((props.fromDate === undefined) !== (props.toDate === undefined)) {
      throw new Error(`BackupLegalHoldProps.fromDate and toDate go together, got fromDate=${props.fromDate ?? 'undefined'} and toDate=${props.toDate ?? 'undefined'}`);
    }
    const resources = props.resourceArns ?? [];
    const vaults = props.backupVaultNames ?? [];
    if (resources.length === 0 && vaults.length === 0 && props.fromDate === undefined) {
      throw new Error('BackupLegalHold needs a selection: set resourceArns, backupVaultNames or fromDate/toDate, got none');
    }
    let dateRange: backup.CfnLegalHold.DateRangeProperty | undefined;
    if (props.fromDate !== undefined && props.toDate !== undefined) {
      const from = parseDate('fromDate', props.fromDate);
      const to = parseDate('toDate', props.toDate);
      if (from !== undefined && to !== undefined && from >= to) {
        throw new Error(`BackupLegalHoldProps.fromDate (${props.fromDate}) must be before toDate (${props.toDate})`);
      }
      dateRange = { fromDate: props.fromDate, toDate: props.toDate };
    }
    this.resource = new backup.CfnLegalHold(this, 'Resource', {
      title: props.title,
      description: props.description,
      recoveryPointSelection: {
        resourceIdentifiers: resources.length > 0 ? resources : undefined,
        vaultNames: vaults.length > 0 ? vaults : undefined,
        dateRange,
      },
    });
    this.resource.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
    this.legalHoldArn = this.resource.attrArn;
  }
}

function parseDate(prop: string, value: string): number | undefined {
  if (Token.isUnresolved(value)) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new Error(`BackupLegalHoldProps.${prop} must be an ISO 8601 date such as 2024-01-01T00:00:00Z, got '${value}'`);
  return t;
}
