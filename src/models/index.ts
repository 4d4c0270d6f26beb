export { createModuleModel, type ModuleModelConfig } from '../providers/module.js';
export { type ChatModelConfig, createChatModel } from './chat-model.js';
export {
  type CreateModelContext,
  createModel,
  type LocalModelConfig,
  type LocalModelFactory,
  type ModelProvider,
  modelKeyVariable,
  modelNeedsBaseUrl,
} from './create-model.js';
export { fromFunction } from './from-function.js';
export {
  chatMessages,
  createHttpModel,
  createOpenAiCompatibleModel,
  type HttpModelConfig,
  type HttpModelContext,
  renderPrompt,
} from './http-model.js';
