/**
 * One jest file for core's tests (each jest file reloads aws-cdk-lib, ~0.7 s of CPU): the tests live in
 * the imported *.tests.ts modules, with their own names.
 */
import './acknowledgements.tests';
import './account-wide.tests';
import './break-glass-role.tests';
import './security-statements.tests';
import './single-copy.tests';
import './tokens.tests';
