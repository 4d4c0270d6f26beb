export {
  type JobDetails,
  type JobStatus,
  RayJobsClient,
  RayJobsError,
  TERMINAL_STATUSES,
} from './jobs-client.js';
export { followJobLogs } from './log-tail.js';
export { MAX_PACKAGE_BYTES, type PackagedDirectory, packageDirectory } from './package-dir.js';
export {
  checkTrackingUri,
  exitCodeForJob,
  followUntilDone,
  resolveDashboardUrl,
  type SubmitRequest,
  type SubmitResult,
  submitEvalFile,
} from './submit.js';
export { writeZip, type ZipEntry } from './zip.js';
