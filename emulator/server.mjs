// Launcher for the independent commercetools emulator
// @labdigital/commercetools-mock 4.4.0 (see /work/shared/reference/emulator.md).
//
//   node emulator/server.mjs [projectKey]
//
// Starts the emulator with authentication and token validation on, listens on
// 127.0.0.1 and a free port, and prints exactly one line to stdout once it
// accepts connections:
//
//   READY http://127.0.0.1:<port>
//
// Both the auth endpoint (POST /oauth/token) and the API (/{projectKey}/...)
// are served at that address.
//
// Environment:
//   CT_MOCK_PROJECT_KEY    default project key (the first argument wins)
//   CT_MOCK_PORT           port to listen on (default 0: a free port)
//   CT_MOCK_MAX_SECONDS    exit after this many seconds (default 3600, 0 = never)
//   CT_MOCK_CONTROL_TOKEN  if set, /__emulator/* requires the header
//                          `X-Emulator-Control-Token: <token>`
//   CT_MOCK_IGNORE_STDIN   "1": do not exit when stdin closes (for manual runs
//                          with stdin redirected from /dev/null)
//
// It stops on SIGTERM/SIGINT, when its stdin closes (so a crashed parent never
// leaves it running) and after CT_MOCK_MAX_SECONDS.
//
// The package has gaps that matter for pagination and conflict tests; they are
// closed below by small patches, each marked "PATCH". None of them edits
// node_modules: they subclass the exported InMemoryStorage and wrap route
// handlers through a Fastify onRoute hook.

import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import process from "node:process";
import {
	CommercetoolsMock,
	getBaseResourceProperties,
	InMemoryStorage,
} from "@labdigital/commercetools-mock";

const projectKey =
	process.argv[2] || process.env.CT_MOCK_PROJECT_KEY || "test-project";
const listenPort = Number(process.env.CT_MOCK_PORT ?? 0);
const maxSeconds = Number(process.env.CT_MOCK_MAX_SECONDS ?? 3600);
const controlToken = process.env.CT_MOCK_CONTROL_TOKEN ?? "";
const ignoreStdin = process.env.CT_MOCK_IGNORE_STDIN === "1";

// Limits of the real HTTP API (docs.commercetools.com, "Limits").
const MAX_LIMIT = 500;
const MAX_OFFSET = 10000;

const cloneObject = (o) => JSON.parse(JSON.stringify(o));

// The per-request context: which request is running, set by the route wrapper
// below and read by the storage patches (AsyncLocalStorage follows the
// awaits of that one request only, so concurrent requests do not mix).
const requestContext = new AsyncLocalStorage();
// Set only while PatchedStorage.query delegates to the package's query, so
// that `all()` hands out the stored objects instead of deep copies.
const rawReads = new AsyncLocalStorage();

// ---------------------------------------------------------------------------
// The package does not export its error class, but the error handler only
// formats errors that are instances of it. Get the class from an error the
// storage throws by itself (a resource identifier with neither id nor key;
// this touches no data).
const CommercetoolsError = await new InMemoryStorage()
	.getByResourceIdentifier("__probe__", { typeId: "category" })
	.then(
		() => {
			throw new Error("could not obtain CommercetoolsError");
		},
		(err) => err.constructor,
	);

const ctError = (statusCode, info) => new CommercetoolsError(info, statusCode);

// ---------------------------------------------------------------------------
// PATCH (storage): the package's InMemoryStorage deep-copies every stored
// object on every list request and every by-key read, and ignores `sort`
// coming from the HTTP layer.
class PatchedStorage extends InMemoryStorage {
	// The StorageMap of one project/type; `_map` holds the stored objects.
	async _map(pk, typeId) {
		const store = (await this.forProjectKey(pk))[typeId];
		if (!store) throw new Error(`No type ${typeId}`);
		return store._map;
	}

	async all(pk, typeId) {
		if (rawReads.getStore()) {
			// Read-only use inside query() below: no copies.
			return Array.from((await this._map(pk, typeId)).values());
		}
		return super.all(pk, typeId);
	}

	// Filtering, sorting and paging run on the stored objects (the predicate
	// matcher and the sorter do not mutate them); only the returned page is
	// copied, then expanded (expansion mutates, so it runs on the copies).
	async query(pk, typeId, params) {
		const ctx = requestContext.getStore();
		if (ctx?.listQueryPending) {
			// PATCH (sort): the generic list handler drops `sort` from the query
			// string. The first storage query of a list request is the list
			// itself: pass the request's `sort` through to it.
			ctx.listQueryPending = false;
			if (params.sort === undefined && ctx.query?.sort !== undefined) {
				params = { ...params, sort: ctx.query.sort };
			}
		}
		const { expand, ...rest } = params;
		const page = await rawReads.run(true, () => super.query(pk, typeId, rest));
		let results = page.results.map(cloneObject);
		if (expand !== undefined) {
			results = await Promise.all(
				results.map((r) => this.expand(pk, r, expand)),
			);
		}
		return { ...page, results };
	}

	// By-key reads scanned deep copies of the whole collection.
	async getByKey(pk, typeId, key, params = {}) {
		for (const stored of (await this._map(pk, typeId)).values()) {
			if (stored.key === key) {
				return this.expand(pk, cloneObject(stored), params.expand);
			}
		}
		return null;
	}

	// PATCH (DELETE ?version=N): the package ignores the version; the real API
	// answers 409 ConcurrentModification when it is stale.
	async delete(pk, typeId, id, params = {}) {
		const ctx = requestContext.getStore();
		if (ctx?.deleteCheckPending) {
			ctx.deleteCheckPending = false;
			const version = ctx.query?.version;
			const stored = (await this._map(pk, typeId)).get(id);
			if (version !== undefined && stored) {
				const expected = Number(version);
				if (!Number.isInteger(expected)) {
					throw ctError(400, {
						code: "InvalidInput",
						message: `Malformed parameter: version: '${version}' is not a valid version.`,
					});
				}
				if (stored.version !== expected) {
					throw ctError(409, {
						code: "ConcurrentModification",
						message: `Object ${id} has a different version than expected. Expected: ${expected} - Actual: ${stored.version}.`,
						currentVersion: stored.version,
					});
				}
			}
		}
		return super.delete(pk, typeId, id, params);
	}
}

const storage = new PatchedStorage();
const ctMock = new CommercetoolsMock({
	enableAuthentication: true,
	validateCredentials: true,
	defaultProjectKey: projectKey,
	silent: true,
	storage,
});
const app = ctMock.app;

// ---------------------------------------------------------------------------
// PATCH (paging limits): limit > 500 and offset > 10000 are accepted by the
// package; the real API answers 400 InvalidInput.
const checkPagingParam = (query, name, max) => {
	let value = query?.[name];
	if (value === undefined) return;
	if (Array.isArray(value)) value = value[0];
	const n = Number(value);
	if (!/^\d+$/.test(String(value)) || n > max) {
		throw ctError(400, {
			code: "InvalidInput",
			message: `Malformed parameter: ${name}: The ${name} parameter must be in the range of [0..${max}]`,
		});
	}
};

// List handlers of the package's services (bound methods keep their name).
const LIST_HANDLERS = new Set(["bound get", "bound getWithContainer"]);

app.addHook("onRoute", (route) => {
	const original = route.handler;
	if (typeof original !== "function") return;
	const url = route.url ?? route.path ?? "";

	if (url.startsWith("/:projectKey")) {
		const methods = [].concat(route.method);
		const isGet = methods.includes("GET");
		const isList = isGet && LIST_HANDLERS.has(original.name);
		const isDelete = methods.includes("DELETE");
		route.handler = function wrappedHandler(request, reply) {
			if (isGet) {
				checkPagingParam(request.query, "limit", MAX_LIMIT);
				checkPagingParam(request.query, "offset", MAX_OFFSET);
			}
			const ctx = {
				query: request.query,
				listQueryPending: isList,
				deleteCheckPending: isDelete,
			};
			return requestContext.run(ctx, () => original.call(this, request, reply));
		};
	} else if (url === "/oauth/token") {
		// PATCH (scope): 4.4.0 reads `scope` only from the query string, so the
		// standard form-body scope came back as "todo". Take it from the body,
		// and answer the project's manage scope when none is asked for (the real
		// API then grants all scopes of the API client).
		route.handler = function wrappedTokenHandler(request, reply) {
			if (request.query && request.query.scope === undefined) {
				request.query.scope =
					(request.body && request.body.scope) ||
					`manage_project:${projectKey}`;
			}
			return original.call(this, request, reply);
		};
	}
});

// PATCH (malformed JSON): the package answered 500 {"error": ...}; the real API
// answers 400 InvalidJsonInput.
app.removeContentTypeParser("application/json");
app.addContentTypeParser(
	"application/json",
	{ parseAs: "string" },
	(_req, body, done) => {
		if (!body || (typeof body === "string" && body.trim() === "")) {
			done(null, undefined);
			return;
		}
		try {
			done(null, JSON.parse(body));
		} catch (err) {
			done(
				ctError(400, {
					code: "InvalidJsonInput",
					message: "Request body does not contain valid JSON.",
					detailedErrorMessage: err.message,
				}),
				undefined,
			);
		}
	},
);

// PATCH (X-Correlation-ID): the real API returns the client's correlation id,
// or one of its own.
app.addHook("onRequest", async (request, reply) => {
	const sent = request.headers["x-correlation-id"];
	reply.header(
		"X-Correlation-ID",
		typeof sent === "string" && sent ? sent : `emulator-${randomUUID()}`,
	);
});

app.addHook("preSerialization", async (request, reply, payload) => {
	if (!payload || typeof payload !== "object") return payload;
	// PATCH (withTotal=false): omit `total` from paged responses.
	if (
		request.query?.withTotal === "false" &&
		Array.isArray(payload.results) &&
		"total" in payload
	) {
		const { total, ...rest } = payload;
		return rest;
	}
	// PATCH (auth errors): the real API adds the OAuth fields to 401 bodies.
	const code = payload.errors?.[0]?.code;
	if (
		reply.statusCode === 401 &&
		(code === "invalid_token" || code === "invalid_client") &&
		payload.error === undefined
	) {
		return {
			...payload,
			error: code,
			error_description: payload.message,
		};
	}
	return payload;
});

// ---------------------------------------------------------------------------
// Control endpoints (not part of the commercetools API; served on this
// launcher's own 127.0.0.1 port only).
//
//   POST /__emulator/seed  {"projectKey"?, "typeId", "resources": [...],
//                           "mode": "create" | "unsafe"}
//        -> 200 {"ids": [...], "count": n}
//     create: each resource is a draft that goes through the package's create
//             path (ids, versions, timestamps, references resolved).
//     unsafe: each resource is stored as is, over generated base properties
//             (id, createdAt, lastModifiedAt, createdBy, lastModifiedBy) and
//             version 1.
//   POST /__emulator/clear  -> 200 {"cleared": true}  (all projects, all types)
//   GET  /__emulator/health -> 200 {"ok": true, "projectKey": ...}
const controlPlugin = async (instance) => {
	instance.addHook("onRequest", async (request, reply) => {
		if (
			controlToken &&
			request.headers["x-emulator-control-token"] !== controlToken
		) {
			reply.code(403).send({ statusCode: 403, message: "bad control token" });
			return reply;
		}
	});

	instance.get("/health", async () => ({ ok: true, projectKey }));

	instance.post(
		"/seed",
		{ bodyLimit: 1024 * 1024 * 1024 },
		async (request, reply) => {
			const body = request.body ?? {};
			const pk = body.projectKey || projectKey;
			const { typeId, resources } = body;
			const mode = body.mode ?? "create";
			if (typeof typeId !== "string" || !Array.isArray(resources)) {
				return reply.code(400).send({
					statusCode: 400,
					message: "expected {typeId: string, resources: [...]}",
				});
			}
			if (mode !== "create" && mode !== "unsafe") {
				return reply
					.code(400)
					.send({ statusCode: 400, message: `unknown mode ${mode}` });
			}
			const project = ctMock.project(pk);
			let repository;
			try {
				repository = project.getRepository(typeId);
			} catch {
				return reply
					.code(400)
					.send({ statusCode: 400, message: `unknown typeId ${typeId}` });
			}
			const ids = [];
			for (let i = 0; i < resources.length; i++) {
				try {
					if (mode === "create") {
						const created = await repository.create(
							{ projectKey: pk, clientId: "emulator-seed" },
							resources[i],
						);
						ids.push(created.id);
					} else {
						const resource = {
							...getBaseResourceProperties(),
							version: 1,
							...resources[i],
						};
						await storage.add(pk, typeId, resource);
						ids.push(resource.id);
					}
				} catch (err) {
					return reply.code(400).send({
						statusCode: 400,
						message: `resource ${i}: ${err.message}`,
						index: i,
						errors: err.errors?.length ? err.errors : err.info ? [err.info] : [],
						ids,
					});
				}
			}
			return { ids, count: ids.length };
		},
	);

	instance.post("/clear", async () => {
		await ctMock.clear();
		return { cleared: true };
	});
};
app.register(controlPlugin, { prefix: "/__emulator" });

// ---------------------------------------------------------------------------
// Lifecycle.
let stopping = false;
const stop = async (reason, code = 0) => {
	if (stopping) return;
	stopping = true;
	if (reason) process.stderr.write(`commercetools emulator: stopping (${reason})\n`);
	setTimeout(() => process.exit(code), 2000).unref();
	try {
		await app.close();
	} catch {
		// exiting anyway
	}
	process.exit(code);
};

process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));

if (!ignoreStdin) {
	// The parent holds our stdin open; when it exits (or crashes), stdin ends.
	process.stdin.on("end", () => stop("stdin closed"));
	process.stdin.on("close", () => stop("stdin closed"));
	process.stdin.on("error", () => stop("stdin error"));
	process.stdin.resume();
}

if (maxSeconds > 0) {
	setTimeout(
		() => stop(`max lifetime of ${maxSeconds}s reached`),
		// setTimeout takes at most 2^31-1 ms (~24.8 days).
		Math.min(maxSeconds * 1000, 2 ** 31 - 1),
	).unref();
}

try {
	await app.listen({ port: listenPort, host: "127.0.0.1" });
} catch (err) {
	process.stderr.write(`commercetools emulator: cannot listen: ${err.stack ?? err}\n`);
	process.exit(1);
}
const { port } = app.server.address();
process.stdout.write(`READY http://127.0.0.1:${port}\n`);
