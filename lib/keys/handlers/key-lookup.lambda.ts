/**
 * CloudFormation custom resource `Custom::DataProtectionKeyLookup`: resolves a key-account alias
 * ARN to its key ARN with kms:DescribeKey, retrying with backoff while KMS has not yet
 * propagated a change.
 *
 * Why the retry ("AWS KMS eventual consistency", KMS Developer Guide): "It typically takes less
 * than a few seconds for the change to propagate throughout the system, but in some cases it can
 * take several minutes. You might get unexpected errors, such as a NotFoundException [...]. We
 * recommend that you configure a retry strategy". A stack deployed right after the key stack can
 * see a NotFoundException for a new alias, or an AccessDeniedException while a key policy that
 * just added this account as a consumer propagates. The IAM policy of this function no longer
 * depends on alias authorization (`kms:ResourceAliases`, "can take up to five minutes" to affect
 * authorization: "Use aliases to control access to KMS keys"), so the retry only covers KMS's own
 * propagation. Other errors fail at once. Every path responds to CloudFormation, so a failure
 * fails the deployment instead of hanging it.
 */
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import * as http from 'node:http';
import * as https from 'node:https';

/** Seconds to wait before each retry: 6 min 15 s in all, beyond the five minutes KMS documents for alias and tag changes. */
export const RETRY_DELAYS_SECONDS = [5, 10, 20, 40, 60, 60, 60, 60, 60];

/** The attribute holding the key ARN: DescribeKey's own path, as the AwsCustomResource lookup it replaces returned it. */
export const KEY_ARN_ATTRIBUTE = 'KeyMetadata.Arn';

/** Errors that KMS returns while a new alias or key policy propagates. */
export const RETRYABLE_ERRORS = ['NotFoundException', 'AccessDeniedException'];

export interface KeyLookupEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: { readonly AliasArn: string; readonly Region: string };
}

export interface LookupDeps {
  readonly client?: KMSClient;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly delaysSeconds?: readonly number[];
  readonly log?: (line: string) => void;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The key ARN behind `aliasArn`, retrying NotFound/AccessDenied with the backoff above. */
export async function lookupKeyArn(aliasArn: string, region: string, deps: LookupDeps = {}): Promise<string> {
  const client = deps.client ?? new KMSClient({ region });
  const sleep = deps.sleep ?? defaultSleep;
  const delays = deps.delaysSeconds ?? RETRY_DELAYS_SECONDS;
  const log = deps.log ?? ((line: string) => console.log(line));
  for (let attempt = 0; ; attempt++) {
    try {
      const out = await client.send(new DescribeKeyCommand({ KeyId: aliasArn }));
      const arn = out.KeyMetadata?.Arn;
      if (!arn) throw new Error(`DescribeKey(${aliasArn}) returned no KeyMetadata.Arn`);
      return arn;
    } catch (e) {
      const name = (e as { name?: string }).name ?? 'Error';
      const message = (e as { message?: string }).message ?? String(e);
      if (!RETRYABLE_ERRORS.includes(name)) throw e;
      if (attempt >= delays.length) {
        throw new Error(
          `DescribeKey(${aliasArn}) still failed after ${attempt + 1} attempts over ${delays.reduce((a, b) => a + b, 0)} s: ${name}: ${message}. ` +
            'Deploy the key account stack first, and check that its key policy lists this account as a consumer',
        );
      }
      log(`DescribeKey(${aliasArn}) attempt ${attempt + 1}: ${name}: ${message}; retrying in ${delays[attempt]} s`);
      await sleep(delays[attempt] * 1000);
    }
  }
}

/** PUTs the custom resource response to CloudFormation's pre-signed URL. */
export function respond(url: string, body: Record<string, unknown>): Promise<void> {
  const data = JSON.stringify(body);
  const target = new URL(url);
  const transport = target.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      target,
      { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(data) } },
      (res) => {
        res.resume();
        res.on('end', () => ((res.statusCode ?? 500) < 300 ? resolve() : reject(new Error(`CloudFormation response rejected: HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

export function handler(event: KeyLookupEvent): Promise<void> {
  return handleEvent(event);
}

/** The handler, with injectable KMS client and clock for tests. */
export async function handleEvent(event: KeyLookupEvent, deps: LookupDeps = {}): Promise<void> {
  const { AliasArn, Region } = event.ResourceProperties;
  const base = { StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId, PhysicalResourceId: event.PhysicalResourceId ?? AliasArn };
  try {
    if (event.RequestType === 'Delete') {
      // Nothing was created: the key belongs to the key account.
      await respond(event.ResponseURL, { ...base, Status: 'SUCCESS' });
      return;
    }
    const keyArn = await lookupKeyArn(AliasArn, Region, deps);
    await respond(event.ResponseURL, { ...base, PhysicalResourceId: AliasArn, Status: 'SUCCESS', Data: { [KEY_ARN_ATTRIBUTE]: keyArn } });
  } catch (e) {
    const reason = `${(e as { name?: string }).name ?? 'Error'}: ${(e as { message?: string }).message ?? String(e)}`.slice(0, 3500);
    await respond(event.ResponseURL, { ...base, Status: 'FAILED', Reason: reason });
  }
}
