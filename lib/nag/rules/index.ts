import BackupRetentionWithinLock from './backup/BackupRetentionWithinLock';
import BackupVaultCmk from './backup/BackupVaultCmk';
import BackupVaultLocked from './backup/BackupVaultLocked';
import ClassifiedBackupCoverage from './backup/ClassifiedBackupCoverage';
import ClassifiedCrossAccountCopy from './backup/ClassifiedCrossAccountCopy';
import ClassifiedRestoreDrill from './backup/ClassifiedRestoreDrill';
import ClassifiedEncryptedWithCmk from './classification/ClassifiedEncryptedWithCmk';
import ClassifiedInTransitTls from './classification/ClassifiedInTransitTls';
import DataStoreClassified from './classification/DataStoreClassified';
import ClassifiedDataEvents from './cloudtrail/ClassifiedDataEvents';
import TrailLogFileValidation from './cloudtrail/TrailLogFileValidation';
import ECSNoPlainSecrets from './ecs/ECSNoPlainSecrets';
import KMSKeyAdminUserSeparated from './kms/KMSKeyAdminUserSeparated';
import KMSKeyDeletionProtected from './kms/KMSKeyDeletionProtected';
import KMSKeyPolicyNoWildcards from './kms/KMSKeyPolicyNoWildcards';
import KMSKeyRotation from './kms/KMSKeyRotation';
import LambdaNoPlainSecrets from './lambda/LambdaNoPlainSecrets';
import ProtectionBucketObjectLock from './s3/ProtectionBucketObjectLock';
import ProtectionBucketTls from './s3/ProtectionBucketTls';

export {
  BackupRetentionWithinLock,
  BackupVaultCmk,
  BackupVaultLocked,
  ClassifiedBackupCoverage,
  ClassifiedCrossAccountCopy,
  ClassifiedRestoreDrill,
  ClassifiedEncryptedWithCmk,
  ClassifiedInTransitTls,
  DataStoreClassified,
  ClassifiedDataEvents,
  TrailLogFileValidation,
  ECSNoPlainSecrets,
  KMSKeyAdminUserSeparated,
  KMSKeyDeletionProtected,
  KMSKeyPolicyNoWildcards,
  KMSKeyRotation,
  LambdaNoPlainSecrets,
  ProtectionBucketObjectLock,
  ProtectionBucketTls,
};
