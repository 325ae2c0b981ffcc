/**
 * One HTTP(S) POST client per destination: keep-alive agent, optional mTLS (PEM files read once at load), a timeout
 * per attempt, and a few quick retries with doubling backoff before the caller falls back to its spool.
 * 2xx is success; 408, 429 and 5xx and network errors are transient; any other status is permanent.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { DeliveryError } from '../errors.ts';

export interface HttpOptions {
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Attempts after the first one, within one send. */
  retries: number;
  retryBackoffMs: number;
  tls: { caFile?: string; certFile?: string; keyFile?: string; insecureSkipVerify: boolean };
}

export class HttpPoster {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;

  constructor(private readonly destination: string, private readonly opts: HttpOptions) {
    this.url = new URL(opts.url);
    const secure = this.url.protocol === 'https:';
    this.transport = secure ? https : http;
    this.agent = secure
      ? new https.Agent({
          keepAlive: true,
          ca: opts.tls.caFile ? readFileSync(opts.tls.caFile) : undefined,
          cert: opts.tls.certFile ? readFileSync(opts.tls.certFile) : undefined,
          key: opts.tls.keyFile ? readFileSync(opts.tls.keyFile) : undefined,
          rejectUnauthorized: !opts.tls.insecureSkipVerify,
        })
      : new http.Agent({ keepAlive: true });
  }

  /** Posts `body`; `headers` are added to the configured ones for this request only. */
  async post(body: string, contentType: string, headers?: Record<string, string>): Promise<void> {
    let backoff = this.opts.retryBackoffMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(body, contentType, headers);
      } catch (err) {
        if ((err instanceof DeliveryError && err.permanent) || attempt >= this.opts.retries) throw err;
        await new Promise((r) => setTimeout(r, backoff));
        backoff *= 2;
      }
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private once(body: string, contentType: string, extra?: Record<string, string>): Promise<void> {
    const payload = Buffer.from(body);
    return new Promise((resolve, reject) => {
      const req = this.transport.request(this.url, {
        method: 'POST',
        agent: this.agent,
        timeout: this.opts.timeoutMs,
        headers: { 'content-type': contentType, 'content-length': payload.length, 'user-agent': 'peregrine', ...this.opts.headers, ...extra },
      }, (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve();
          const transient = status === 408 || status === 429 || status >= 500;
          reject(new DeliveryError(this.destination, `HTTP ${status} from ${this.url.host}`, { status, permanent: !transient }));
        });
        res.on('error', (err) => reject(new DeliveryError(this.destination, `response from ${this.url.host} broke off`, { cause: err })));
      });
      req.on('timeout', () => req.destroy(new Error(`no response within ${this.opts.timeoutMs} ms`)));
      req.on('error', (err) => reject(new DeliveryError(this.destination, `POST ${this.url.host}: ${err.message}`, { cause: err })));
      req.end(payload);
    });
  }
}
