/**
 * Every IAM policy document in a set of synthesized templates, wherever a resource holds one:
 * identity policies, role trust policies, key policies, bucket, topic and vault access policies,
 * and any other resource property (or JSON string property) that is a policy document. Found by
 * shape, not by a list of resource types, so policies added later are checked too.
 */
import { resourcesOf, SynthesizedTemplate, where } from './apps';
import { alternatives, isObject, listOf, render } from './intrinsics';

export type PolicyKind = 'identity' | 'trust' | 'key' | 'bucket' | 'topic' | 'vault' | 'resource';

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect?: unknown;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Condition?: unknown;
}

export interface FoundPolicy {
  /** `app stack logicalId`, then the property path. */
  readonly where: string;
  readonly kind: PolicyKind;
  readonly resourceType: string;
  readonly logicalId: string;
  readonly template: SynthesizedTemplate;
  readonly statements: PolicyStatement[];
}

const KIND_BY_TYPE: Record<string, PolicyKind> = {
  'AWS::IAM::Policy': 'identity',
  'AWS::IAM::ManagedPolicy': 'identity',
  'AWS::IAM::Role': 'identity',
  'AWS::IAM::User': 'identity',
  'AWS::IAM::Group': 'identity',
  'AWS::KMS::Key': 'key',
  'AWS::KMS::ReplicaKey': 'key',
  'AWS::S3::BucketPolicy': 'bucket',
  'AWS::SNS::TopicPolicy': 'topic',
  'AWS::Backup::BackupVault': 'vault',
  'AWS::Backup::LogicallyAirGappedBackupVault': 'vault',
};

/** The statements of a policy document (`Statement` one or a list, `Fn::If` branches included). */
export function statementsOf(document: Record<string, any>): PolicyStatement[] {
  return listOf(document.Statement).filter(isObject) as PolicyStatement[];
}

function isPolicyDocument(v: unknown): v is Record<string, any> {
  return isObject(v) && 'Statement' in v && statementsOf(v).some((s) => 'Effect' in s);
}

/** A JSON string (or a `Fn::Join`/`Fn::Sub` that renders to one) that is a policy document. */
function parsedPolicy(v: unknown): Record<string, any> | undefined {
  const text = typeof v === 'string' ? v : isObject(v) && ('Fn::Join' in v || 'Fn::Sub' in v) ? render(v) : undefined;
  if (!text || !text.includes('"Statement"')) return undefined;
  try {
    const parsed = JSON.parse(text);
    return isPolicyDocument(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Every policy document in the templates. */
export function findPolicies(templates: SynthesizedTemplate[]): FoundPolicy[] {
  const out: FoundPolicy[] = [];
  for (const [t, logicalId, resource] of resourcesOf(templates)) {
    const add = (path: string, doc: Record<string, any>) => {
      const kind = resource.Type === 'AWS::IAM::Role' && path === 'AssumeRolePolicyDocument' ? 'trust' : KIND_BY_TYPE[resource.Type] ?? 'resource';
      out.push({ where: `${where(t, logicalId)} ${path}`, kind, resourceType: resource.Type, logicalId, template: t, statements: statementsOf(doc) });
    };
    // A Lambda permission is a one-statement resource policy written as properties.
    if (resource.Type === 'AWS::Lambda::Permission') {
      add('Action', { Statement: [{ Effect: 'Allow', Action: resource.Properties?.Action, Principal: resource.Properties?.Principal }] });
      continue;
    }
    const visit = (v: unknown, path: string): void => {
      for (const alt of alternatives(v)) {
        if (isPolicyDocument(alt)) {
          add(path, alt);
          continue;
        }
        const parsed = parsedPolicy(alt);
        if (parsed) {
          add(path, parsed);
          continue;
        }
        if (Array.isArray(alt)) alt.forEach((x, i) => visit(x, `${path}[${i}]`));
        else if (isObject(alt)) for (const [k, x] of Object.entries(alt)) visit(x, path ? `${path}.${k}` : k);
      }
    };
    visit(resource.Properties ?? {}, '');
  }
  return out;
}
