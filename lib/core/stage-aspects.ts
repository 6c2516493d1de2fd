import { Aspects, IAspect, Stack, Stage } from 'aws-cdk-lib';
import { WriteNagSuppressionsToCloudFormationAspect } from 'cdk-nag';
import { IConstruct } from 'constructs';

/**
 * Aspects do not cross Stage boundaries: a nested stage (a `DataProtectionStage`, a CDK Pipelines
 * stage) is synthesized on its own, before the app's aspects run, and only with the aspects added
 * to the stage or below. So the two aspects the packs add to the app — cdk-nag's
 * `WriteNagSuppressionsToCloudFormationAspect` (acknowledgements into the template metadata) and
 * `DataProtectionChecks`' record of the packs that ran (read by the report) — never reach the
 * stacks of a stage, while the packs themselves do check them (they validate the whole app).
 *
 * `inheritValidationAspects(scope)` adds, once per nested stage above `scope`, one aspect that
 * runs those aspects of the stage's ancestors inside the stage. The library calls it wherever it
 * records an acknowledgement or a control, so every stage holding a library construct gets it.
 */

const INHERITABLE = Symbol.for('cdk-data-protection.inheritAcrossStages');
const inheriting = new WeakSet<Stage>();

/** Marks an aspect so that nested stages under the construct it is added to run it too. */
export function inheritAcrossStages<T extends IAspect>(aspect: T): T {
  Object.defineProperty(aspect, INHERITABLE, { value: true, enumerable: false });
  return aspect;
}

function isInheritable(aspect: IAspect): boolean {
  return aspect instanceof WriteNagSuppressionsToCloudFormationAspect || (aspect as any)[INHERITABLE] === true;
}

/** Runs, inside one nested stage, the inheritable aspects added to its ancestors (each kind once). */
class InheritedValidationAspects implements IAspect {
  private aspects?: IAspect[];

  public constructor(private readonly stage: Stage) {}

  public visit(node: IConstruct): void {
    for (const aspect of this.resolve()) aspect.visit(node);
  }

  /** Looked up at the first visit (synth time), when the app has registered everything. */
  private resolve(): IAspect[] {
    if (this.aspects) return this.aspects;
    const found: IAspect[] = [];
    for (let scope = this.stage.node.scope; scope; scope = scope.node.scope) {
      for (const aspect of Aspects.of(scope).all) {
        // Each pack adds its own WriteNagSuppressionsToCloudFormationAspect: one is enough.
        if (isInheritable(aspect) && !found.some((f) => f === aspect || f.constructor === aspect.constructor)) found.push(aspect);
      }
    }
    this.aspects = found;
    return found;
  }
}

/** Makes every nested stage above `scope` run the inheritable aspects of its ancestors. Idempotent. */
export function inheritValidationAspects(scope: IConstruct): void {
  const stage = Stage.isStage(scope) ? scope : stageOf(scope);
  if (stage) inheritValidationAspectsInStage(stage);
}

/** `Stage.of`, cached per stack: it walks every scope up to the root on each call (thousands per app). */
const STAGE_OF_STACK = new WeakMap<Stack, Stage | undefined>();
function stageOf(scope: IConstruct): Stage | undefined {
  let stack: Stack;
  try {
    stack = Stack.of(scope);
  } catch {
    return Stage.of(scope);
  }
  if (!STAGE_OF_STACK.has(stack)) STAGE_OF_STACK.set(stack, Stage.of(stack));
  return STAGE_OF_STACK.get(stack);
}

/** Makes `stage` and every nested stage above it run the inheritable aspects of their ancestors. */
function inheritValidationAspectsInStage(from: Stage): void {
  for (let stage: Stage | undefined = from; stage?.parentStage; stage = stage.parentStage) {
    if (inheriting.has(stage)) continue;
    inheriting.add(stage);
    Aspects.of(stage).add(new InheritedValidationAspects(stage));
  }
}
