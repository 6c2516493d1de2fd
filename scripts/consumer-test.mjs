// Consumer test: the library as a user gets it. `npm pack` (which runs the jsii build), install
// the tarball into a fresh app with its own aws-cdk-lib (another version than our devDependency,
// inside the peer range), constructs and cdk-nag from the registry; compile the app with tsc under
// strict flags, run it with plain node through the CDK CLI, and assert what the library promises:
//  (a) an unencrypted, unclassified bucket fails synth with an AwsSolutions and a DataProtection finding naming it
//  (b) without it synth passes
//  (c) the report CLI (plain node, from the package) records the five packs and the checklist
//  (d) the second data account gets its trail and job-failure rules
// plus a plain-JavaScript consumer. Needs the npm registry; run by .ci/run (`npm run test:consumer`).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// The lower ends of the peer ranges (another aws-cdk-lib than the devDependency): proves the
// ranges, and that the app's single copy is the one the library and cdk-nag use.
const CONSUMER_CDK_LIB = process.env.CONSUMER_CDK_LIB ?? pkg.peerDependencies['aws-cdk-lib'].replace(/^\^/, '');
const CONSUMER_CONSTRUCTS = pkg.peerDependencies.constructs.replace(/^\^/, '');
// `cdk init app --language typescript` projects of the pinned CLI still use TypeScript 5.
const TYPESCRIPT_5 = '~5.9.3';
const DATA_ACCOUNTS = ['222222222222', '555555555555'];

const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...opts, env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', ...opts.env } });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
};

if (pkg.devDependencies['aws-cdk-lib'] === CONSUMER_CDK_LIB) throw new Error(`CONSUMER_CDK_LIB must differ from the devDependency (${CONSUMER_CDK_LIB})`);

const work = mkdtempSync(join(tmpdir(), 'dp-consumer-'));
console.log(`consumer app in ${work}`);
// The app installs aws-cdk-lib and the packages (~300 MB): removed on every exit, or repeated runs fill the disk.
// KEEP_CONSUMER_APP=1 keeps it for inspection.
process.on('exit', () => {
  if (process.env.KEEP_CONSUMER_APP !== '1') rmSync(work, { recursive: true, force: true });
});
execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
const tarball = join(work, packed[0].filename);
const shipped = packed[0].files.map((f) => f.path);
for (const f of ['build/index.js', 'build/index.d.ts', 'build/report/cli.js', '.jsii', 'API.md', 'bin/cdk-data-protection.js']) check(shipped.includes(f), `package ships ${f}`);
for (const h of readdirSync(join(root, 'assets', 'handlers'))) check(shipped.includes(`assets/handlers/${h}/index.js`), `package ships the ${h} handler bundle`);
check(!shipped.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), 'package ships no TypeScript sources');
check(!shipped.some((f) => f.startsWith('test/') || f.startsWith('examples/')), 'package ships no tests or examples');

const app = join(work, 'app');
cpSync(join(root, 'scripts', 'consumer'), app, { recursive: true });
writeFileSync(join(app, 'package.json'), JSON.stringify({
  name: 'consumer-app',
  private: true,
  dependencies: {
    'cdk-data-protection': `file:${tarball}`,
    'aws-cdk-lib': CONSUMER_CDK_LIB,
    constructs: CONSUMER_CONSTRUCTS,
    'cdk-nag': pkg.peerDependencies['cdk-nag'],
  },
  devDependencies: { typescript: pkg.devDependencies.typescript, typescript5: `npm:typescript@${TYPESCRIPT_5}`, '@types/node': pkg.devDependencies['@types/node'] },
}, undefined, 2));
const cdkJson = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8'));
cdkJson.app = 'node dist/app.js';
cdkJson.context['cdk-data-protection:accounts'].data = DATA_ACCOUNTS;
writeFileSync(join(app, 'cdk.json'), JSON.stringify(cdkJson, undefined, 2));

const install = run('npm', ['install', '--no-audit', '--no-fund'], { cwd: app });
check(install.code === 0, 'npm install of the tarball with peer dependencies');
if (install.code !== 0) console.log(install.out);
const ls = run('npm', ['ls', 'aws-cdk-lib', '--all', '--parseable'], { cwd: app });
check(new Set(ls.out.trim().split('\n').filter(Boolean)).size === 1, `one aws-cdk-lib in the app (npm ls: ${ls.out.trim().split('\n').join(', ')})`);
check(!existsSync(join(app, 'node_modules', 'cdk-data-protection', 'node_modules', 'aws-cdk-lib')), 'no nested aws-cdk-lib under the library');
check(!existsSync(join(app, 'node_modules', 'tsx')), 'no tsx in the app');

const appErrors = tscErrors(app);
check(appErrors.length === 0, "the app and the library's declarations compile with tsc under strict flags (noUncheckedIndexedAccess, exactOptionalPropertyTypes, skipLibCheck off)");
if (appErrors.length) console.log(appErrors.join('\n'));

const cdk = join(root, 'node_modules', 'aws-cdk', 'bin', 'cdk');
const synth = (env, out) => run(process.execPath, [cdk, 'synth', '**', '--quiet', '--output', out], { cwd: app, env });

// (a) the forgotten bucket fails synth, named by a stock pack and by DataProtectionChecks
const bad = synth({ BAD_BUCKET: '1' }, 'cdk.out.bad');
check(bad.code !== 0, '(a) synth fails with an unencrypted, unclassified bucket');
const badFindings = validationFindings(join(app, 'cdk.out.bad'));
const onBucket = badFindings.filter((f) => f.path.includes('ForgottenExport'));
check(onBucket.some((f) => f.rule.startsWith('AwsSolutions-')), `(a) an AwsSolutions finding names the bucket (${onBucket.map((f) => f.rule).join(', ') || 'none'})`);
check(onBucket.some((f) => f.plugin === 'DataProtection' || f.rule.startsWith('DataProtection-')), '(a) a DataProtection finding names the bucket');
check(/ForgottenExport/.test(bad.out), '(a) synth output names the bucket');

// (b) without it, synth passes
const good = synth({}, 'cdk.out');
check(good.code === 0, '(b) synth passes without the bad bucket');
if (good.code !== 0) console.log(good.out.slice(-4000));

// (c) the report CLI, from the package, plain node
const report = run(process.execPath, [join(app, 'node_modules', '.bin', 'cdk-data-protection'), 'report', 'cdk.out', '--templates', '--out', 'report'], { cwd: app });
check(report.code === 0, `(c) report CLI exits 0 (${report.out.split('\n')[0]})`);
const json = existsSync(join(app, 'report', 'data-protection-report.json')) ? JSON.parse(readFileSync(join(app, 'report', 'data-protection-report.json'), 'utf8')) : { packs: [], checklist: [] };
for (const pack of ['AwsSolutions', 'NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321', 'DataProtection']) check(json.packs.some((p) => p.includes(pack)), `(c) report records pack ${pack}`);
check(json.checklist.length > 0 && json.checklist.every((c) => c.status !== 'fail'), `(c) report has the checklist (${json.checklist.length} lines), none failing`);
check(/template/i.test(report.out) && json.templateScan !== undefined, '(c) --templates ran the packs over the synthesized templates');

// doctor, from the package, without credentials: a clear exit 2, no hang on instance metadata
const doctor = run(process.execPath, [join(app, 'node_modules', '.bin', 'cdk-data-protection'), 'doctor'], {
  cwd: app,
  env: { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '', AWS_PROFILE: '', AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_REGION: 'eu-west-1' },
  timeout: 60_000,
});
check(doctor.code === 2, `doctor without credentials exits 2 (${doctor.out.trim().split('\n').pop()})`);

// (d) the second data account's account-wide monitoring
const templates = stackTemplates(join(app, 'cdk.out'));
for (const account of DATA_ACCOUNTS) {
  const mine = templates.filter((t) => t.account === account);
  const resources = mine.flatMap((t) => Object.values(t.template.Resources ?? {}));
  check(resources.some((r) => r.Type === 'AWS::CloudTrail::Trail'), `(d) data account ${account} has its data-access trail`);
  const jobRules = resources.filter((r) => r.Type === 'AWS::Events::Rule' && JSON.stringify(r.Properties?.EventPattern ?? {}).includes('Backup Job State Change'));
  check(jobRules.length > 0, `(d) data account ${account} has backup job-failure rules`);
}

// a second aws-cdk-lib under the library (what a non-peer dependency caused): a loud synth error naming both copies
const nested = join(app, 'node_modules', 'cdk-data-protection', 'node_modules', 'aws-cdk-lib');
mkdirSync(dirname(nested), { recursive: true });
execFileSync('cp', ['-al', join(app, 'node_modules', 'aws-cdk-lib'), nested]);
const twice = synth({}, 'cdk.out.twice');
rmSync(dirname(nested), { recursive: true, force: true });
check(twice.code !== 0 && /Two copies of aws-cdk-lib/.test(twice.out), 'a second copy of aws-cdk-lib fails synth');
const twoCopies = (twice.out.match(/Error: (Two copies of aws-cdk-lib[^\n]*)/) ?? ['', ''])[1];
check(twoCopies.includes(nested) && twoCopies.includes(join(app, 'node_modules', 'aws-cdk-lib') + ','), `the error names both copies (${twoCopies.slice(0, 400)})`);

// the README's first app, pasted as written: its cdk.json context and its app.ts
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const block = (marker) => {
  const m = new RegExp(`<!-- quickstart:${marker.replace('.', '\\.')} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\`\\n`).exec(readme);
  if (!m) throw new Error(`README.md has no <!-- quickstart:${marker} --> block`);
  return m[1];
};
const first = join(app, 'readme-app'); // resolves cdk-data-protection from the app's node_modules
mkdirSync(join(first, 'bin'), { recursive: true });
writeFileSync(join(first, 'bin', 'app.ts'), block('app.ts'));
const readmeContext = JSON.parse(block('cdk.json')).context;
// a `cdk init` project's cdk.json holds the recommended feature flags: the repo's cdk.json has them too
writeFileSync(join(first, 'cdk.json'), JSON.stringify({ app: 'node dist/bin/app.js', context: { ...cdkJson.context, ...readmeContext } }, undefined, 2));
writeFileSync(join(first, 'tsconfig.json'), JSON.stringify({ extends: join(app, 'tsconfig.json'), compilerOptions: { outDir: 'dist', rootDir: '.' }, include: ['bin/app.ts'] }));
const firstErrors = tscErrors(first);
check(firstErrors.length === 0, "the README's first app compiles as pasted");
if (firstErrors.length) console.log(firstErrors.join('\n'));
// the same first app under TypeScript 5 (a `cdk init` project), skipLibCheck on as cdk init sets it
writeFileSync(join(first, 'tsconfig.ts5.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', lib: ['ES2022'], module: 'commonjs', strict: true, skipLibCheck: true, types: ['node'], noEmit: true }, include: ['bin/app.ts'] }));
const ts5 = run(process.execPath, [join(app, 'node_modules', 'typescript5', 'bin', 'tsc'), '-p', join(first, 'tsconfig.ts5.json')]);
check(ts5.code === 0, `the README's first app compiles with TypeScript ${TYPESCRIPT_5} (cdk init projects)`);
if (ts5.code !== 0) console.log(ts5.out);
const firstSynth = run(process.execPath, [cdk, 'synth', '**', '--quiet'], { cwd: first });
check(firstSynth.code === 0, "the README's first app synthesizes with the five packs (cdk synth '**')");
if (firstSynth.code !== 0) console.log(firstSynth.out.slice(-4000));

// plain JavaScript consumer
const js = run(process.execPath, [join(app, 'app.js'), join(app, 'cdk.out.js')], { cwd: app });
check(js.code === 0 && /"stacks":\[/.test(js.out), `plain-JavaScript consumer synthesizes (${js.out.trim().split('\n').pop()})`);

console.log(failures.length === 0 ? 'consumer test passed' : `consumer test FAILED: ${failures.length} check(s)`);
process.exit(failures.length === 0 ? 0 : 1);

/**
 * tsc errors of a project, without those inside aws-cdk-lib's own declarations: aws-cdk-lib does
 * not compile under exactOptionalPropertyTypes with skipLibCheck off (its synthesizer classes),
 * which is no fault of the app or of this library, whose declarations are checked in full.
 */
function tscErrors(project) {
  const r = run(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project]);
  const errors = r.out.split('\n').filter((l) => / error TS\d+/.test(l));
  const cdkLib = errors.filter((l) => l.includes('node_modules/aws-cdk-lib/'));
  if (cdkLib.length) console.log(`     (${cdkLib.length} tsc errors inside aws-cdk-lib's own declarations under these flags, ignored)`);
  return errors.filter((l) => !l.includes('node_modules/aws-cdk-lib/')).concat(r.code !== 0 && errors.length === 0 ? [r.out] : []);
}

function assemblies(dir) {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const out = [{ dir, manifest }];
  for (const a of Object.values(manifest.artifacts ?? {})) {
    if (a.type === 'cdk:cloud-assembly') out.push(...assemblies(join(dir, a.properties.directoryName)));
  }
  return out;
}

function stackTemplates(dir) {
  return assemblies(dir).flatMap(({ dir: d, manifest }) =>
    Object.entries(manifest.artifacts ?? {})
      .filter(([, a]) => a.type === 'aws:cloudformation:stack')
      .map(([name, a]) => ({ name, account: a.environment.split('/')[2], template: JSON.parse(readFileSync(join(d, a.properties.templateFile), 'utf8')) })),
  );
}

function validationFindings(dir) {
  if (!existsSync(join(dir, 'manifest.json'))) return [];
  return assemblies(dir).flatMap(({ dir: d }) =>
    readdirSync(d)
      .filter((f) => f.endsWith('validation-report.json'))
      .flatMap((f) => JSON.parse(readFileSync(join(d, f), 'utf8')).pluginReports ?? [])
      .flatMap((rep) => (rep.violations ?? []).flatMap((v) => (v.violatingConstructs ?? []).map((c) => ({ plugin: rep.pluginName ?? rep.summary?.pluginName, rule: v.ruleName, path: c.constructPath ?? '' })))),
  );
}
