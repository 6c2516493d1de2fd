import { dirname } from 'node:path';
import { App, Stack, Stage } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * One copy of aws-cdk-lib, or a loud error. With two copies (the library's and the app's),
 * cdk-nag's rules test `instanceof CfnBucket` against the wrong class and report every user
 * resource as not applicable: synth passes having checked nothing. aws-cdk-lib, constructs and
 * cdk-nag are therefore peer dependencies; this check catches installs that still end up with two.
 */
const CHECKED = new WeakSet<IConstruct>();

export function assertSingleAwsCdkLib(scope: IConstruct): void {
  const root = scope.node.root;
  if (CHECKED.has(root)) return;
  const foreign =
    (App.isApp(root) && !(root instanceof App)) || (Stage.isStage(root) && !(root instanceof Stage)) || (Stack.isStack(root) && !(root instanceof Stack));
  const nag = nagCdkLib();
  if (foreign) {
    throw new Error(
      `Two copies of aws-cdk-lib: the app's ${(root as IConstruct).node.path || 'root'} comes from ${appCdkLib(root) ?? 'another copy'}, ` +
        `cdk-data-protection uses ${ownCdkLib()}. cdk-nag would check nothing. Make aws-cdk-lib a single dependency of the app ` +
        `(cdk-data-protection declares it as a peer dependency) and run 'npm ls aws-cdk-lib' to find the second copy.`,
    );
  }
  if (nag && nag !== ownCdkLib()) {
    throw new Error(
      `Two copies of aws-cdk-lib: cdk-nag uses ${nag}, cdk-data-protection uses ${ownCdkLib()}. ` +
        `cdk-nag's rules would not see the library's resources. Install one aws-cdk-lib ('npm ls aws-cdk-lib' shows the copies).`,
    );
  }
  CHECKED.add(root);
}

function ownCdkLib(): string {
  return dirname(require.resolve('aws-cdk-lib/package.json'));
}

function nagCdkLib(): string | undefined {
  try {
    const nagDir = dirname(require.resolve('cdk-nag/package.json'));
    return dirname(require.resolve('aws-cdk-lib/package.json', { paths: [nagDir] }));
  } catch {
    return undefined; // cdk-nag not installed: the packs are not in use
  }
}

/** Where the app's aws-cdk-lib was loaded from, when it was loaded through CommonJS. */
function appCdkLib(root: IConstruct): string | undefined {
  const ctors = new Set<unknown>();
  for (let p = Object.getPrototypeOf(root); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) ctors.add(p.constructor);
  for (const m of Object.values(require.cache ?? {})) {
    const e = m?.exports as Record<string, unknown> | undefined;
    if (!e || typeof e !== 'object') continue;
    try {
      if ([e.App, e.Stage, e.Stack].some((c) => c && ctors.has(c))) {
        const i = m!.filename.lastIndexOf('aws-cdk-lib');
        return i >= 0 ? m!.filename.slice(0, i + 'aws-cdk-lib'.length) : m!.filename;
      }
    } catch {
      // a lazy getter that throws: not the module we are looking for
    }
  }
  return undefined;
}
