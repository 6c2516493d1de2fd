// The public API. jsii exports classes, interfaces and enums to every language and silently drops
// free functions and constants, so everything a user calls is a class, a static method or a
// struct. Internal helpers stay in their modules and are not re-exported here.

export { DataProtection } from './api/data-protection';

// classification
export { DataClassification } from './classification/data-classification';
export { ProtectionPolicy, ProtectionPolicyProps, ProtectionPolicyOverrides, PolicyOverride } from './classification/protection-policy';
export { ClassifyOptions, ClassifiedResource, ClassifiedResources } from './classification/classify';

// keys
export { AlarmTopic, AlarmTopicProps, SecurityEventForwarding } from './keys/alarm-topic';
export { BreakGlassRole, BreakGlassRoleProps } from './core/break-glass-role';
export { CrossAccountKey, CrossAccountKeyProps } from './keys/cross-account-key';
export { DataAccountFallbackKey, DataAccountFallbackKeyProps } from './keys/data-account-fallback-key';
export { KeyAliases } from './keys/key-aliases';
export { KeyConsumerService } from './keys/key-consumer-service';
export { KeyTamperAlarms, KeyTamperAlarmsProps } from './keys/key-tamper-alarms';
export { ProtectedKey, ProtectedKeyProps, KeyConsumers } from './keys/protected-key';
export { ProtectedKeyReplica, ProtectedKeyReplicaProps } from './keys/protected-key-replica';

// backup
export { ObjectLockMode, ObjectLockBucket, ObjectLockBucketProps, AccessLogsBucket, AccessLogsBucketProps } from './backup/object-lock-bucket';
export { VaultLockMode, BackupVaultTarget, ImmutableBackupVault, ImmutableBackupVaultProps } from './backup/immutable-backup-vault';
export { LogicallyAirGappedVault, LogicallyAirGappedVaultProps } from './backup/logically-air-gapped-vault';
export { ProtectedBackupPlan, ProtectedBackupPlanProps, ExistingBackupResource } from './backup/protected-backup-plan';
export { OrganizationBackupPolicy, OrganizationBackupPolicyProps } from './backup/organization-backup-policy';
export { BackupCompliance, BackupComplianceProps } from './backup/backup-compliance';
export { BackupAlarms, BackupAlarmsProps } from './backup/backup-alarms';
export { BackupConfigRecorder, BackupConfigRecorderProps } from './backup/backup-config-recorder';
export { VaultTamperAlarms, VaultTamperAlarmsProps } from './backup/vault-tamper-alarms';
export { CopyArrivalMonitor, CopyArrivalMonitorProps } from './backup/copy-arrival-monitor';
export { BackupErosionAlarms, BackupErosionAlarmsProps } from './backup/backup-erosion-alarms';
export { BackupLegalHold, BackupLegalHoldProps } from './backup/legal-hold';

// audit
export { AuditNames } from './audit/audit-names';
export { DataEventSelection, DataEventSelectorPlan, DataEventTypeSelection } from './audit/data-event-selectors';
export { DataAccessTrail, DataAccessTrailProps, ExistingDataEventResource } from './audit/data-access-trail';
export { DataAccessAlarms, DataAccessAlarmsOptions, DataAccessAlarmsProps } from './audit/data-access-alarms';
export { AuditLogArchive, AuditLogArchiveProps, OrganizationTrailSource } from './audit/audit-log-archive';
export { ManagementEventsTrail, ManagementEventsTrailProps } from './audit/management-events-trail';
export { SecurityEventBus, SecurityEventBusProps, SecurityEventSource, TrailDeliveryMonitor, TrailDeliveryMonitorProps } from './audit/security-event-bus';
export { MemberHeartbeatMonitor, MemberHeartbeatMonitorProps } from './audit/member-heartbeat-monitor';
export { MonitoringTamperAlarms, MonitoringTamperAlarmsProps } from './audit/monitoring-tamper-alarms';
export { DataProtectionDashboard, DataProtectionDashboardProps, DashboardStore } from './audit/data-protection-dashboard';

// drill
export { DrillResourceType } from './drill/drill-resource-type';
export { DrillIsolation, DrillTargetProps, DrillTargetOverrides, ClassifiedDrillTargetOptions, DrillTarget } from './drill/drill-target';
export { DrillStatus, DrillMetrics, RestoreDrill, RestoreDrillProps } from './drill/restore-drill';
export { DrillDiscoveryProps, DrillDiscoveryLevel, DrillRestoreKeys, DrillCopyDiscoveryProps } from './drill/drill-discovery';
export { DrillTagDefaults } from './drill/drill-tags';
export { DrillEngine, NativeRestoreTesting, NativeRestoreTestingProps } from './drill/native-restore-testing';
export { DrillNetwork, DrillNetworkProps } from './drill/drill-network';

// checklist enforcement
export { DataProtectionChecks } from './nag/data-protection-checks';
export { DataProtectionPacksOptions } from './nag/packs';

// topology
export { DataProtectionAccounts } from './topology/accounts';
export { KeyAccountStack, KeyAccountStackProps, KeyAccountReplicaStack, KeyAccountReplicaStackProps } from './topology/key-account-stack';
export { DataAccountStack, DataAccountStackProps, AirGappedCopyOptions, AirGappedPrimaryOptions, ConfigRecorderOptions, DataProtectionOptions, DataProtectionDrillOptions, IDrillTargetOptions } from './topology/data-account-stack';
export { DataPerimeterOptions } from './topology/data-perimeter';
export { BackupAccountStack, BackupAccountStackProps, AirGappedVaultOptions, BackupAccountCopyDrillOptions } from './topology/backup-account-stack';
export { AuditAccountStack, AuditAccountStackProps } from './topology/audit-account-stack';
export { DataProtectionStage, DataProtectionStageProps, SingleAccountStageProps } from './topology/data-protection-stage';
export { DataProtectionGuardrails, DataProtectionGuardrailsProps } from './topology/organization-guardrails';

// organization: delegated administrators and the organization trail
export { BackupDelegatedAdministrator, BackupDelegatedAdministratorProps } from './organization/backup-delegated-admin';
export {
  AuditOrganizationTrailOptions,
  CloudTrailDelegatedAdministrator,
  CloudTrailDelegatedAdministratorProps,
  OrganizationDataAccessTrail,
  OrganizationDataAccessTrailProps,
} from './organization/organization-trail';

// organization: the StackSet rollout of the data-account baseline
export { DataAccountBaselineStack, DataAccountBaselineStackProps } from './organization/data-account-baseline';
export {
  DataProtectionStackSet,
  DataProtectionStackSetProps,
  OrganizationAssetBucket,
  OrganizationAssetBucketProps,
  StackSetCallAs,
  StackSetRegionConcurrency,
} from './organization/data-protection-stack-set';
