// How to reach the API server: the kubeconfig to load and the kubectl-style overrides on top of it.
// Built once by cli/ from the flags (kubectl's and flux's spelling) and handed to cluster/.

/** Who the requests act as (`--as`, `--as-group`, `--as-uid`): sent as Impersonate-* headers. */
export interface Impersonation {
  user?: string;
  groups: string[];
  uid?: string;
}

export interface ConnectionSettings {
  kubeconfig?: string;
  context?: string;
  /** `--cluster`: the kubeconfig cluster entry to use instead of the context's. */
  cluster?: string;
  /** `--user`: the kubeconfig user entry to use instead of the context's. */
  user?: string;
  /** `--server`: the API server URL, replacing the cluster entry's. */
  server?: string;
  /** `--token`: a bearer token replacing the user's credentials (token, certificate, exec plugin). */
  token?: string;
  /** `--certificate-authority`: a CA file replacing the cluster entry's CA. */
  certificateAuthority?: string;
  /** `--client-certificate` / `--client-key`: files replacing the user's client certificate. */
  clientCertificate?: string;
  clientKey?: string;
  /** `--insecure-skip-tls-verify`: do not check the server's certificate (drops the CA, as kubectl does). */
  insecureSkipTlsVerify?: boolean;
  /** `--tls-server-name`: the name to verify the server's certificate against (SNI). */
  tlsServerName?: string;
  actAs?: Impersonation;
  /** `--kube-api-qps` / `--kube-api-burst`: a client-side rate limit on requests, when given. */
  qps?: number;
  burst?: number;
  /** The user's environment, read once in cli/: KUBECONFIG, HOME, proxy variables, and what exec credential plugins run with. */
  env: NodeJS.ProcessEnv;
}
