/**
 * A fake AWS at the HTTP layer, for the drill's bundled Lambda handlers: an HTTP server on
 * 127.0.0.1 that the handlers' own (bundled) AWS SDK reaches through `AWS_ENDPOINT_URL`. It
 * decodes each request as the service's wire protocol does (JSON 1.0, REST-JSON, REST-XML, query,
 * EC2), hands the input to a responder, and encodes the responder's SDK-shaped output (or error) in
 * that protocol, so the bundled SDK parses real responses. Only the operations the handlers call
 * are encoded; any other call answers 501, which fails the test that made it.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface AwsCall {
  /** Signing name: s3, dynamodb, rds, ec2, elasticfilesystem, backup, rds-data, tagging, events. */
  service: string;
  operation: string;
  input: any;
}

/** An AWS error: its code, message and HTTP status. */
export class AwsError extends Error {
  public constructor(public readonly code: string, message: string, public readonly status = 400) {
    super(message);
    this.name = code;
  }
}

export type Responder = (input: any, call: AwsCall) => any;

const esc = (v: unknown) => String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const tag = (name: string, inner: string) => `<${name}>${inner}</${name}>`;


/** Query-protocol XML (RDS): lists wrap members named by the shape's member name. */
const QUERY_MEMBERS: { [list: string]: string } = {
  DBClusters: 'DBCluster',
  DBInstances: 'DBInstance',
  DBClusterMembers: 'DBClusterMember',
  VpcSecurityGroups: 'VpcSecurityGroupMembership',
};
function queryXml(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return tag(name, value.map((v) => queryXml(QUERY_MEMBERS[name] ?? 'member', v)).join(''));
  if (value instanceof Date) return tag(name, value.toISOString());
  if (typeof value === 'object') return tag(name, Object.entries(value as object).map(([k, v]) => queryXml(k, v)).join(''));
  return tag(name, esc(value));
}

/** EC2 names of the Volume members the handlers read. */
const EC2_VOLUME: { [k: string]: string } = { VolumeId: 'volumeId', State: 'status', Encrypted: 'encrypted', Size: 'size', AvailabilityZone: 'availabilityZone', KmsKeyId: 'kmsKeyId', CreateTime: 'createTime' };

const epochSeconds = (v: unknown) => (v === undefined ? undefined : (v instanceof Date ? v.getTime() : Date.parse(String(v))) / 1000);

export class FakeAws {
  public readonly calls: AwsCall[] = [];
  private readonly responders = new Map<string, Responder>();
  private server?: Server;

  /** Answers `service.Operation` with a responder, or with a fixed output. */
  public on(operation: string, responder: Responder | object): this {
    this.responders.set(operation, typeof responder === 'function' ? (responder as Responder) : () => responder);
    return this;
  }

  /** Answers `service.Operation` with an error. */
  public fails(operation: string, code: string, message: string, status = 400): this {
    return this.on(operation, () => {
      throw new AwsError(code, message, status);
    });
  }

  public reset(): void {
    this.calls.length = 0;
    this.responders.clear();
  }

  public callsOf(operation: string): any[] {
    return this.calls.filter((c) => `${c.service}.${c.operation}` === operation).map((c) => c.input);
  }

  public async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          this.handle(req, Buffer.concat(chunks), res);
        } catch (e) {
          res.statusCode = 500;
          res.end(String((e as Error).stack));
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  public async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private respond(service: string, operation: string, input: any): { output?: any; error?: AwsError } {
    const call = { service, operation, input };
    this.calls.push(call);
    const responder = this.responders.get(`${service}.${operation}`);
    if (!responder) return { error: new AwsError('NotImplemented', `fake AWS has no responder for ${service}.${operation}`, 501) };
    try {
      return { output: responder(input, call) ?? {} };
    } catch (e) {
      if (e instanceof AwsError) return { error: e };
      throw e;
    }
  }

  private handle(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization))?.[1] ?? 'unknown';
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    switch (service) {
      case 'dynamodb':
      case 'states':
        return this.json10(service, String(req.headers['x-amz-target']).split('.')[1], body, res);
      case 'tagging':
      case 'events':
        // JSON 1.1: X-Amz-Target ResourceGroupsTaggingAPI_20170126.<Operation> / AWSEvents.<Operation> (EventBridge).
        return this.json11(service, String(req.headers['x-amz-target']).split('.')[1], body, res);
      case 'rds':
      case 'ec2':
        return this.query(service, body, res);
      case 's3':
        return this.s3(method, url, req, body, res);
      case 'backup':
      case 'elasticfilesystem':
      case 'rds-data':
        return this.restJson(service, method, url, body, res);
      default:
        res.statusCode = 501;
        res.end(`fake AWS does not speak ${service}`);
    }
  }

  // ---- JSON 1.0 (DynamoDB)
  private json10(service: string, operation: string, body: Buffer, res: ServerResponse): void {
    const { output, error } = this.respond(service, operation, JSON.parse(body.toString() || '{}'));
    res.setHeader('content-type', 'application/x-amz-json-1.0');
    if (error) {
      res.statusCode = error.status;
      res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${error.code}`, message: error.message }));
      return;
    }
    res.end(JSON.stringify(output));
  }

  // ---- JSON 1.1 (Resource Groups Tagging API: X-Amz-Target ResourceGroupsTaggingAPI_20170126.<Operation>)
  private json11(service: string, operation: string, body: Buffer, res: ServerResponse): void {
    const { output, error } = this.respond(service, operation, JSON.parse(body.toString() || '{}'));
    res.setHeader('content-type', 'application/x-amz-json-1.1');
    if (error) {
      res.statusCode = error.status;
      res.end(JSON.stringify({ __type: error.code, message: error.message }));
      return;
    }
    res.end(JSON.stringify(output));
  }

  // ---- REST-JSON (Backup, EFS, RDS Data)
  private restJson(service: string, method: string, url: URL, body: Buffer, res: ServerResponse): void {
    const path = decodeURIComponent(url.pathname);
    const q = Object.fromEntries(url.searchParams.entries());
    const json = body.length ? JSON.parse(body.toString()) : {};
    let operation: string;
    let input: any;
    let encode: (o: any) => any = (o) => o;
    let m: RegExpExecArray | null;
    if (service === 'backup' && method === 'GET' && (m = /^\/backup-vaults\/([^/]+)\/recovery-points\/?$/.exec(path))) {
      operation = 'ListRecoveryPointsByBackupVault';
      input = { BackupVaultName: m[1], ByResourceArn: q.resourceArn, ByCreatedAfter: q.createdAfter, MaxResults: q.maxResults ? Number(q.maxResults) : undefined, NextToken: q.nextToken };
      encode = (o) => ({ ...o, RecoveryPoints: (o.RecoveryPoints ?? []).map((p: any) => ({ ...p, CreationDate: epochSeconds(p.CreationDate), CompletionDate: epochSeconds(p.CompletionDate) })) });
    } else if (service === 'backup' && method === 'GET' && (m = /^\/backup-vaults\/([^/]+)\/recovery-points\/(.+)$/.exec(path))) {
      operation = 'DescribeRecoveryPoint';
      input = { BackupVaultName: m[1], RecoveryPointArn: m[2] };
      encode = (o) => ({ ...o, CreationDate: epochSeconds(o.CreationDate), CompletionDate: epochSeconds(o.CompletionDate) });
    } else if (service === 'backup' && method === 'GET' && (m = /^\/restore-jobs\/([^/]+)$/.exec(path))) {
      operation = 'DescribeRestoreJob';
      input = { RestoreJobId: m[1] };
      encode = (o) => ({ ...o, CreationDate: epochSeconds(o.CreationDate), CompletionDate: epochSeconds(o.CompletionDate), RecoveryPointCreationDate: epochSeconds(o.RecoveryPointCreationDate) });
    } else if (service === 'backup' && method === 'GET' && /^\/restore-jobs\/?$/.test(path)) {
      operation = 'ListRestoreJobs';
      input = { ByResourceType: q.resourceType, NextToken: q.nextToken };
    } else if (service === 'backup' && method === 'PUT' && (m = /^\/restore-jobs\/([^/]+)\/validations$/.exec(path))) {
      operation = 'PutRestoreValidationResult';
      input = { RestoreJobId: m[1], ...json };
    } else if (service === 'elasticfilesystem' && method === 'GET' && /^\/2015-02-01\/file-systems\/?$/.test(path)) {
      operation = 'DescribeFileSystems';
      input = { FileSystemId: q.FileSystemId, Marker: q.Marker };
      encode = (o) => ({ ...o, FileSystems: (o.FileSystems ?? []).map((f: any) => ({ ...f, CreationTime: epochSeconds(f.CreationTime) })) });
    } else if (service === 'elasticfilesystem' && method === 'DELETE' && (m = /^\/2015-02-01\/file-systems\/([^/]+)$/.exec(path))) {
      operation = 'DeleteFileSystem';
      input = { FileSystemId: m[1] };
    } else if (service === 'rds-data' && method === 'POST' && path === '/Execute') {
      operation = 'ExecuteStatement';
      input = json;
    } else {
      res.statusCode = 501;
      res.end(`fake AWS: no ${service} operation at ${method} ${path}`);
      return;
    }
    const { output, error } = this.respond(service, operation, input);
    res.setHeader('content-type', 'application/json');
    if (error) {
      res.statusCode = error.status;
      res.setHeader('x-amzn-errortype', error.code);
      res.end(JSON.stringify({ message: error.message }));
      return;
    }
    res.end(JSON.stringify(encode(output)));
  }

  // ---- Query (RDS) and EC2
  private query(service: string, body: Buffer, res: ServerResponse): void {
    const params = Object.fromEntries(new URLSearchParams(body.toString()).entries());
    const operation = params.Action;
    const input: any = { ...params };
    delete input.Action;
    delete input.Version;
    const { output, error } = this.respond(service, operation, input);
    res.setHeader('content-type', 'text/xml');
    if (error) {
      res.statusCode = error.status;
      res.end(
        service === 'ec2'
          ? `<Response><Errors><Error><Code>${esc(error.code)}</Code><Message>${esc(error.message)}</Message></Error></Errors><RequestID>fake</RequestID></Response>`
          : `<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type><Code>${esc(error.code)}</Code><Message>${esc(error.message)}</Message></Error><RequestId>fake</RequestId></ErrorResponse>`,
      );
      return;
    }
    if (service === 'ec2') {
      let inner = '';
      if (operation === 'DescribeVolumes') {
        const tags = (v: any) => (v.Tags ? tag('tagSet', v.Tags.map((t: any) => tag('item', tag('key', esc(t.Key)) + tag('value', esc(t.Value)))).join('')) : '');
        const items = (output.Volumes ?? []).map((v: any) => tag('item', Object.entries(v).map(([k, x]) => (EC2_VOLUME[k] ? tag(EC2_VOLUME[k], esc(x)) : '')).join('') + tags(v)));
        inner = tag('volumeSet', items.join(''));
      } else if (operation === 'DeleteVolume' || operation === 'CreateTags') {
        inner = tag('return', 'true');
      }
      res.end(`<${operation}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>fake</requestId>${inner}</${operation}Response>`);
      return;
    }
    const result = Object.entries(output as object).map(([k, v]) => queryXml(k, v)).join('');
    res.end(`<${operation}Response xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><${operation}Result>${result}</${operation}Result><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></${operation}Response>`);
  }

  // ---- REST-XML (S3, path-style: the endpoint is an IP address)
  private s3(method: string, url: URL, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const [, bucket, ...rest] = url.pathname.split('/');
    const key = rest.length ? decodeURIComponent(rest.join('/')) : undefined;
    const q = url.searchParams;
    const xml = (root: string, inner: string) => `<?xml version="1.0" encoding="UTF-8"?><${root} xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</${root}>`;
    let operation: string;
    let input: any;
    let encode: (o: any) => void;
    if (method === 'GET' && !bucket) {
      operation = 'ListBuckets';
      input = { Prefix: q.get('prefix') ?? undefined, ContinuationToken: q.get('continuation-token') ?? undefined, MaxBuckets: q.has('max-buckets') ? Number(q.get('max-buckets')) : undefined };
      encode = (o) => {
        const buckets = (o.Buckets ?? []).map((b: any) => tag('Bucket', tag('Name', esc(b.Name)) + (b.CreationDate ? tag('CreationDate', esc(b.CreationDate)) : ''))).join('');
        res.setHeader('content-type', 'application/xml');
        res.end(xml('ListAllMyBucketsResult', tag('Buckets', buckets) + (o.ContinuationToken ? tag('ContinuationToken', esc(o.ContinuationToken)) : '')));
      };
    } else if (method === 'GET' && !key && q.get('list-type') === '2') {
      operation = 'ListObjectsV2';
      input = { Bucket: bucket, ContinuationToken: q.get('continuation-token') ?? undefined, Prefix: q.get('prefix') ?? undefined, MaxKeys: q.has('max-keys') ? Number(q.get('max-keys')) : undefined };
      encode = (o) => {
        const lastModified = (c: any) => (c.LastModified ? tag('LastModified', esc(new Date(c.LastModified).toISOString())) : '');
        const contents = (o.Contents ?? []).map((c: any) => tag('Contents', tag('Key', esc(c.Key)) + lastModified(c) + tag('Size', String(c.Size ?? 0)))).join('');
        const next = o.NextContinuationToken ? tag('NextContinuationToken', esc(o.NextContinuationToken)) : '';
        res.setHeader('content-type', 'application/xml');
        res.end(xml('ListBucketResult', tag('Name', esc(bucket)) + tag('KeyCount', String((o.Contents ?? []).length)) + tag('IsTruncated', String(!!o.IsTruncated)) + contents + next));
      };
    } else if (method === 'GET' && !key && q.has('versions')) {
      operation = 'ListObjectVersions';
      input = { Bucket: bucket, KeyMarker: q.get('key-marker') ?? undefined, VersionIdMarker: q.get('version-id-marker') ?? undefined };
      encode = (o) => {
        const v = (o.Versions ?? []).map((x: any) => tag('Version', tag('Key', esc(x.Key)) + tag('VersionId', esc(x.VersionId)))).join('');
        const d = (o.DeleteMarkers ?? []).map((x: any) => tag('DeleteMarker', tag('Key', esc(x.Key)) + tag('VersionId', esc(x.VersionId)))).join('');
        const next = o.IsTruncated ? tag('NextKeyMarker', esc(o.NextKeyMarker)) + tag('NextVersionIdMarker', esc(o.NextVersionIdMarker)) : '';
        res.setHeader('content-type', 'application/xml');
        res.end(xml('ListVersionsResult', tag('Name', esc(bucket)) + tag('IsTruncated', String(!!o.IsTruncated)) + next + v + d));
      };
    } else if (method === 'POST' && !key && q.has('delete')) {
      operation = 'DeleteObjects';
      const objects = [...body.toString().matchAll(/<Object><Key>(.*?)<\/Key>(?:<VersionId>(.*?)<\/VersionId>)?<\/Object>/g)].map((x) => ({ Key: x[1], VersionId: x[2] }));
      input = { Bucket: bucket, Delete: { Objects: objects } };
      encode = (o) => {
        const errors = (o.Errors ?? []).map((e: any) => tag('Error', tag('Key', esc(e.Key)) + tag('Code', esc(e.Code)) + tag('Message', esc(e.Message)))).join('');
        res.setHeader('content-type', 'application/xml');
        res.end(xml('DeleteResult', errors));
      };
    } else if (method === 'DELETE' && !key) {
      operation = 'DeleteBucket';
      input = { Bucket: bucket };
      encode = () => {
        res.statusCode = 204;
        res.end();
      };
    } else if (method === 'HEAD' && key) {
      operation = 'HeadObject';
      input = { Bucket: bucket, Key: key };
      encode = (o) => {
        if (o.LastModified) res.setHeader('last-modified', new Date(o.LastModified).toUTCString());
        res.setHeader('etag', '"fake"');
        res.end();
      };
    } else if (method === 'GET' && key) {
      operation = 'GetObject';
      input = { Bucket: bucket, Key: key, ChecksumMode: req.headers['x-amz-checksum-mode'] };
      encode = (o) => {
        const data = Buffer.from(o.Body ?? '');
        res.setHeader('content-length', String(data.length));
        res.setHeader('etag', '"fake"');
        if (o.ChecksumCRC32) res.setHeader('x-amz-checksum-crc32', o.ChecksumCRC32);
        if (o.ChecksumSHA256) res.setHeader('x-amz-checksum-sha256', o.ChecksumSHA256);
        if (o.LastModified) res.setHeader('last-modified', new Date(o.LastModified).toUTCString());
        for (const [k, v] of Object.entries(o.Metadata ?? {})) res.setHeader(`x-amz-meta-${k}`, String(v));
        res.end(data);
      };
    } else if (method === 'PUT' && key) {
      operation = 'PutObject';
      const metadata = Object.fromEntries(Object.entries(req.headers).filter(([h]) => h.startsWith('x-amz-meta-')).map(([h, v]) => [h.slice('x-amz-meta-'.length), String(v)]));
      input = {
        Bucket: bucket,
        Key: key,
        Body: decodeChunked(req, body),
        ServerSideEncryption: req.headers['x-amz-server-side-encryption'],
        SSEKMSKeyId: req.headers['x-amz-server-side-encryption-aws-kms-key-id'],
        ...(Object.keys(metadata).length ? { Metadata: metadata } : {}),
        ...(req.headers['if-none-match'] ? { IfNoneMatch: req.headers['if-none-match'] } : {}),
      };
      encode = () => {
        res.setHeader('etag', '"fake"');
        res.end();
      };
    } else {
      res.statusCode = 501;
      res.end(`fake AWS: no s3 operation at ${method} ${url.pathname}${url.search}`);
      return;
    }
    const { output, error } = this.respond('s3', operation, input);
    if (error) {
      res.statusCode = error.status;
      res.setHeader('content-type', 'application/xml');
      res.end(xml('Error', tag('Code', esc(error.code)) + tag('Message', esc(error.message))).replace(' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"', ''));
      return;
    }
    encode(output);
  }
}

/** The payload of a body the SDK sent with `content-encoding: aws-chunked` (flexible checksums), else the body. */
function decodeChunked(req: IncomingMessage, body: Buffer): string {
  if (!String(req.headers['content-encoding'] ?? '').includes('aws-chunked')) return body.toString();
  let text = body.toString();
  let out = '';
  for (;;) {
    const eol = text.indexOf('\r\n');
    const size = parseInt(text.slice(0, eol).split(';')[0], 16);
    if (!size) break;
    out += text.slice(eol + 2, eol + 2 + size);
    text = text.slice(eol + 2 + size + 2);
  }
  return out;
}


