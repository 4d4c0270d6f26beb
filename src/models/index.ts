export {
  type CreateModelContext,
  createModel,
  type LocalModelConfig,
  type LocalModelFactory,
  type ModelProvider,
  modelKeyVariable,
} from './create-model.js';
export { fromFunction } from './from-function.js';
export { createModuleModel, type ModuleModelConfig } from './module-model.js';
export {
  chatMessages,
  createOpenAiCompatibleModel,
  type HttpModelConfig,
  type HttpModelContext,
  renderPrompt,
} from './openai-compatible.js';
