import http from 'node:http';

export interface HttpReply<T = any> {
  status: number;
  body: T;
}

/**
 * A minimal keep-alive HTTP client for the benchmarks: one agent per client pool, so N
 * concurrent callers reuse N sockets, the way N browsers or SDK clients would. node:http is
 * used rather than fetch so the client costs as little CPU as possible on a 2-core machine
 * that also runs the server and the database.
 */
export class HttpClient {
  private readonly agent: http.Agent;
  private readonly host: string;
  private readonly port: number;

  /**
   * `retryStaleSockets`: resend a request once when its kept-alive socket turns out closed (see
   * `send`). Only for callers whose server never dies mid-request (the benchmarks): after a
   * kill -9 the same error can mean the request was processed, and a resent import doubles.
   */
  constructor(
    baseUrl: string,
    maxSockets = 64,
    private readonly options: { retryStaleSockets?: boolean } = {},
  ) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  request<T = any>(method: string, path: string, options: { token?: string; body?: unknown; raw?: string | Buffer; contentType?: string; headers?: Record<string, string> } = {}): Promise<HttpReply<T>> {
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload: string | Buffer | undefined;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    } else if (options.raw !== undefined) {
      payload = options.raw;
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    if (payload !== undefined) headers['content-length'] = Buffer.byteLength(payload);
    return this.send<T>(method, path, headers, payload, this.options.retryStaleSockets === true);
  }

  /**
   * One exchange. A kept-alive socket the server closed while it sat idle (the server closes
   * them after Fastify's 72 s keep-alive timeout, e.g. while a workload's long set-up runs) fails with ECONNRESET before the request
   * reached the server: that request is sent once more on a fresh socket, as Node's documentation
   * advises (`request.reusedSocket`), after the agent's other idle sockets are dropped.
   */
  private send<T>(method: string, path: string, headers: Record<string, string | number>, payload: string | Buffer | undefined, mayRetry: boolean): Promise<HttpReply<T>> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: this.host, port: this.port, method, path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          if (text && String(res.headers['content-type'] ?? '').includes('json')) {
            try {
              body = JSON.parse(text);
            } catch {
              body = text;
            }
          }
          resolve({ status: res.statusCode ?? 0, body: body as T });
        });
        res.on('error', reject);
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (mayRetry && req.reusedSocket && error.code === 'ECONNRESET') {
          this.dropIdleSockets(); // its idle siblings are as stale as it was
          resolve(this.send<T>(method, path, headers, payload, false));
        } else reject(error);
      });
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  get = <T = any>(path: string, token?: string) => this.request<T>('GET', path, { token });
  post = <T = any>(path: string, body: unknown, token?: string) => this.request<T>('POST', path, { token, body });
  put = <T = any>(path: string, body: unknown, token?: string) => this.request<T>('PUT', path, { token, body });

  /** Like `request`, but throws unless the answer is 2xx: for set-up steps. */
  async ok<T = any>(method: string, path: string, options: Parameters<HttpClient['request']>[2] = {}): Promise<T> {
    const res = await this.request<T>(method, path, options);
    if (res.status < 200 || res.status >= 300) throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
    return res.body;
  }

  private dropIdleSockets() {
    for (const sockets of Object.values(this.agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
  }

  close() {
    this.agent.destroy();
  }
}
