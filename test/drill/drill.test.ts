/**
 * One jest file for the drill's construct and handler unit tests (each jest file reloads aws-cdk-lib, ~0.7 s
 * of CPU): the tests live in the imported *.tests.ts modules, with their own names. The workflow,
 * discovery, staleness, canary and evidence-event files keep their own files: each runs its own fake AWS.
 */
import './restore-drill.tests';
import './handlers.tests';
