/**
 * One jest file for audit's tests (each jest file reloads aws-cdk-lib, ~0.7 s of CPU): the tests live in
 * the imported *.tests.ts modules, with their own names.
 */
import './data-access-alarms.tests';
import './data-access-trail.tests';
