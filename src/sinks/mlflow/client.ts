import * as artifacts from './client/artifacts.js';
import * as assessments from './client/assessments.js';
import * as datasets from './client/datasets.js';
import * as experiments from './client/experiments.js';
import * as loggedModels from './client/logged-models.js';
import * as prompts from './client/prompts.js';
import * as runs from './client/runs.js';
import * as server from './client/server.js';
import * as traces from './client/traces.js';
import { MlflowHttp, type MlflowHttpOptions } from './http.js';

export type { AssessmentUpdate } from './client/assessments.js';
export { isNotFound } from './client/not-found.js';
export type { PromptVersion } from './client/prompts.js';
export type { SearchTracesOptions, SpanIngest } from './client/traces.js';

/** A resource call's arguments after the connection it takes first. */
type Args<F> = F extends (http: MlflowHttp, ...args: infer A) => unknown ? A : never;

/**
 * A typed client for MLflow's REST API (tracking, traces, assessments, evaluation datasets, prompt
 * registry). One instance per tracking server; it owns a bounded keep-alive pool — call `close()`.
 * Every failure is an `MlflowError`; reads and idempotent writes are retried, creates are not.
 *
 * The calls live one resource per file in `client/` (experiments, runs, logged models, traces,
 * assessments, artifacts, datasets, prompts, server), as functions of the connection; this class binds them to
 * one connection, so a caller holds a single object.
 */
export class MlflowClient {
  readonly http: MlflowHttp;

  constructor(options: MlflowHttpOptions) {
    this.http = new MlflowHttp(options);
  }

  get trackingUri(): string {
    return this.http.trackingUri;
  }

  close(): Promise<void> {
    return this.http.close();
  }

  // server
  version(...args: Args<typeof server.version>) {
    return server.version(this.http, ...args);
  }
  health(...args: Args<typeof server.health>) {
    return server.health(this.http, ...args);
  }
  serverInfo() {
    return server.serverInfo(this.http);
  }

  // experiments
  getExperimentByName(...args: Args<typeof experiments.getExperimentByName>) {
    return experiments.getExperimentByName(this.http, ...args);
  }
  getExperiment(...args: Args<typeof experiments.getExperiment>) {
    return experiments.getExperiment(this.http, ...args);
  }
  createExperiment(...args: Args<typeof experiments.createExperiment>) {
    return experiments.createExperiment(this.http, ...args);
  }
  restoreExperiment(...args: Args<typeof experiments.restoreExperiment>) {
    return experiments.restoreExperiment(this.http, ...args);
  }
  setExperimentTag(...args: Args<typeof experiments.setExperimentTag>) {
    return experiments.setExperimentTag(this.http, ...args);
  }
  getOrCreateExperiment(...args: Args<typeof experiments.getOrCreateExperiment>) {
    return experiments.getOrCreateExperiment(this.http, ...args);
  }

  // runs
  createRun(...args: Args<typeof runs.createRun>) {
    return runs.createRun(this.http, ...args);
  }
  getRun(...args: Args<typeof runs.getRun>) {
    return runs.getRun(this.http, ...args);
  }
  searchRuns(...args: Args<typeof runs.searchRuns>) {
    return runs.searchRuns(this.http, ...args);
  }
  logBatch(...args: Args<typeof runs.logBatch>) {
    return runs.logBatch(this.http, ...args);
  }
  updateRun(...args: Args<typeof runs.updateRun>) {
    return runs.updateRun(this.http, ...args);
  }
  setTag(...args: Args<typeof runs.setTag>) {
    return runs.setTag(this.http, ...args);
  }
  logInputs(...args: Args<typeof runs.logInputs>) {
    return runs.logInputs(this.http, ...args);
  }

  // logged models (MLflow 3's record of a model or application version)
  createLoggedModel(...args: Args<typeof loggedModels.createLoggedModel>) {
    return loggedModels.createLoggedModel(this.http, ...args);
  }
  getLoggedModel(...args: Args<typeof loggedModels.getLoggedModel>) {
    return loggedModels.getLoggedModel(this.http, ...args);
  }
  searchLoggedModels(...args: Args<typeof loggedModels.searchLoggedModels>) {
    return loggedModels.searchLoggedModels(this.http, ...args);
  }
  finalizeLoggedModel(...args: Args<typeof loggedModels.finalizeLoggedModel>) {
    return loggedModels.finalizeLoggedModel(this.http, ...args);
  }
  logLoggedModelParams(...args: Args<typeof loggedModels.logLoggedModelParams>) {
    return loggedModels.logLoggedModelParams(this.http, ...args);
  }
  setLoggedModelTags(...args: Args<typeof loggedModels.setLoggedModelTags>) {
    return loggedModels.setLoggedModelTags(this.http, ...args);
  }

  // artifacts (through the server's artifact proxy)
  artifactProxyPath(artifactUri: string, relativePath: string): string {
    return artifacts.artifactProxyPath(artifactUri, relativePath);
  }
  uploadArtifact(...args: Args<typeof artifacts.uploadArtifact>) {
    return artifacts.uploadArtifact(this.http, ...args);
  }
  downloadArtifact(...args: Args<typeof artifacts.downloadArtifact>) {
    return artifacts.downloadArtifact(this.http, ...args);
  }
  listArtifacts(...args: Args<typeof artifacts.listArtifacts>) {
    return artifacts.listArtifacts(this.http, ...args);
  }

  // traces
  logSpansOtlp(...args: Args<typeof traces.logSpansOtlp>) {
    return traces.logSpansOtlp(this.http, ...args);
  }
  startTrace(...args: Args<typeof traces.startTrace>) {
    return traces.startTrace(this.http, ...args);
  }
  getTraceInfo(...args: Args<typeof traces.getTraceInfo>) {
    return traces.getTraceInfo(this.http, ...args);
  }
  getTrace(...args: Args<typeof traces.getTrace>) {
    return traces.getTrace(this.http, ...args);
  }
  searchTraces(...args: Args<typeof traces.searchTraces>) {
    return traces.searchTraces(this.http, ...args);
  }
  searchAllTraces(...args: Args<typeof traces.searchAllTraces>) {
    return traces.searchAllTraces(this.http, ...args);
  }
  setTraceTag(...args: Args<typeof traces.setTraceTag>) {
    return traces.setTraceTag(this.http, ...args);
  }
  linkTracesToRun(...args: Args<typeof traces.linkTracesToRun>) {
    return traces.linkTracesToRun(this.http, ...args);
  }

  // assessments
  createAssessment(...args: Args<typeof assessments.createAssessment>) {
    return assessments.createAssessment(this.http, ...args);
  }
  getAssessment(...args: Args<typeof assessments.getAssessment>) {
    return assessments.getAssessment(this.http, ...args);
  }
  updateAssessment(...args: Args<typeof assessments.updateAssessment>) {
    return assessments.updateAssessment(this.http, ...args);
  }

  // evaluation datasets
  createDataset(...args: Args<typeof datasets.createDataset>) {
    return datasets.createDataset(this.http, ...args);
  }
  getDataset(...args: Args<typeof datasets.getDataset>) {
    return datasets.getDataset(this.http, ...args);
  }
  searchDatasets(...args: Args<typeof datasets.searchDatasets>) {
    return datasets.searchDatasets(this.http, ...args);
  }
  searchAllDatasets(...args: Args<typeof datasets.searchAllDatasets>) {
    return datasets.searchAllDatasets(this.http, ...args);
  }
  findDatasetByName(...args: Args<typeof datasets.findDatasetByName>) {
    return datasets.findDatasetByName(this.http, ...args);
  }
  upsertDatasetRecords(...args: Args<typeof datasets.upsertDatasetRecords>) {
    return datasets.upsertDatasetRecords(this.http, ...args);
  }
  listDatasetRecords(...args: Args<typeof datasets.listDatasetRecords>) {
    return datasets.listDatasetRecords(this.http, ...args);
  }
  allDatasetRecords(...args: Args<typeof datasets.allDatasetRecords>) {
    return datasets.allDatasetRecords(this.http, ...args);
  }

  // prompt registry
  getRegisteredModel(...args: Args<typeof prompts.getRegisteredModel>) {
    return prompts.getRegisteredModel(this.http, ...args);
  }
  registerPrompt(...args: Args<typeof prompts.registerPrompt>) {
    return prompts.registerPrompt(this.http, ...args);
  }
  getPromptVersion(...args: Args<typeof prompts.getPromptVersion>) {
    return prompts.getPromptVersion(this.http, ...args);
  }
  getPromptVersionByAlias(...args: Args<typeof prompts.getPromptVersionByAlias>) {
    return prompts.getPromptVersionByAlias(this.http, ...args);
  }
  setPromptAlias(...args: Args<typeof prompts.setPromptAlias>) {
    return prompts.setPromptAlias(this.http, ...args);
  }
}
