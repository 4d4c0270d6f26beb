import ignore from 'ignore';

/**
 * Files that hold credentials by their name: never shipped to a cluster, whatever the ignore files
 * say, unless the user lists them explicitly (`judgeflow submit --include <path>`). A job's secrets
 * come from the cluster's environment (a Kubernetes Secret), not from a shipped file. Patterns in
 * `.gitignore` syntax.
 */
export const CREDENTIAL_FILE_PATTERNS = [
  // environment files (templates such as .env.example hold no values and are shipped)
  '.env',
  '.env.*',
  '!.env.example',
  '!.env.sample',
  '!.env.template',
  '.envrc',
  // keys and certificates with their private parts
  '*.pem',
  '*.key',
  '*.p12',
  '*.pfx',
  '*.jks',
  '*.keystore',
  '*.kdbx',
  // ssh keys (id_rsa, id_ed25519, ...) and folders of credentials
  'id_*',
  '.ssh/',
  '.aws/',
  '.gnupg/',
  '.kube/',
  '.docker/config.json',
  // tool credentials
  '.netrc',
  '_netrc',
  '.pgpass',
  '.npmrc',
  '.pypirc',
  '.git-credentials',
  '.htpasswd',
  'credentials',
  'credentials.json',
  '*credentials*.json',
  'client_secret*.json',
  'service-account*.json',
  'kubeconfig',
  '*.tfvars',
  '*.tfstate',
];

const matcher = ignore().add(CREDENTIAL_FILE_PATTERNS);

/** Whether a path (relative to the packaged folder, `/`-separated) names a credential file or folder. */
export function isCredentialFile(relative: string, isDirectory = false): boolean {
  return matcher.ignores(isDirectory ? `${relative}/` : relative);
}
