/**
 * A stand-in for the Hugging Face hub on 127.0.0.1, for tests without the internet: it answers
 * `/{org}/{name}/resolve/{revision}/{file}` (GET with optional `Range`, and HEAD) with the headers the real hub sends
 * for LFS files (`ETag` = sha256 of the content, `X-Repo-Commit`, `Content-Length`, `Content-Range`), and 404/401
 * with `X-Error-Code` like the hub. `cutAfter` makes full downloads stop mid-file by destroying the socket.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

function sha256(content: Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

export interface HubRepo {
  commit: string;
  files: Record<string, Uint8Array>;
  /** Answer 401 unless `Authorization: Bearer <token>`. */
  token?: string;
  /** Answer resolve GETs with a 302 to `/cdn/<sha256>` (only the redirect carries X-Repo-Commit), as the hub does for LFS files. */
  redirect?: boolean;
}

export class LocalHub {
  readonly repos = new Map<string, HubRepo>();
  /** Every request, as `METHOD path`. */
  readonly requests: string[] = [];
  /** When set, full-content GETs send this many bytes and then cut the connection. */
  cutAfter: number | undefined;
  private server: Server | undefined;
  url = '';

  add(repo: string, repoData: HubRepo): this {
    this.repos.set(repo, repoData);
    return this;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push(`${req.method} ${req.url}`);
    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(req.url ?? '');
    if (cdn) {
      const content = [...this.repos.values()].flatMap((r) => Object.values(r.files)).find((c) => sha256(c) === cdn[1]);
      if (content) return this.send(req, res, content, { ETag: `"${cdn[1]}"` });
    }
    const match = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec((req.url ?? '').split('?')[0]);
    const error = (status: number, code: string, message: string) => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'X-Error-Code': code, 'X-Error-Message': message });
      res.end(req.method === 'HEAD' ? undefined : JSON.stringify({ error: message }));
    };
    if (!match || (req.method !== 'GET' && req.method !== 'HEAD')) return error(404, 'EntryNotFound', 'not a resolve URL');
    const [, repoId, revision, file] = match;
    const repo = this.repos.get(repoId);
    if (!repo) return error(401, 'RepositoryNotFound', 'Repository not found');
    if (repo.token && req.headers.authorization !== `Bearer ${repo.token}`) return error(401, 'GatedRepo', 'Access to this repository is restricted');
    if (decodeURIComponent(revision) !== 'main' && decodeURIComponent(revision) !== repo.commit) return error(404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
    const content = repo.files[file];
    if (!content) return error(404, 'EntryNotFound', `${file} does not exist`);
    const etag = sha256(content);
    if (repo.redirect) {
      res.writeHead(302, { Location: `/cdn/${etag}`, 'X-Repo-Commit': repo.commit, 'X-Linked-ETag': `"${etag}"`, 'X-Linked-Size': String(content.length) });
      return void res.end();
    }
    this.send(req, res, content, { ETag: `"${etag}"`, 'X-Repo-Commit': repo.commit });
  }

  /** The content with range support and the given headers. */
  private send(req: IncomingMessage, res: ServerResponse, content: Uint8Array, extra: Record<string, string>): void {
    const headers: Record<string, string> = { ...extra, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' };
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] === '' ? content.length - 1 : Math.min(Number(range[2]), content.length - 1);
      const part = content.subarray(start, end + 1);
      res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${content.length}`, 'Content-Length': String(part.length) });
      res.end(req.method === 'HEAD' ? undefined : part);
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': String(content.length) });
    if (req.method === 'HEAD') return void res.end();
    if (this.cutAfter !== undefined) {
      res.write(content.subarray(0, this.cutAfter), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(content);
  }
}
