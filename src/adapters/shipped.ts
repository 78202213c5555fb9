/**
 * GENERATED from src/adapters/registry.ts by scripts/generate-types.mjs: do not edit.
 * Register a mesh with its one line in registry.ts and run `npm run generate`; a test fails when this file is stale.
 */
import type { Adapter } from "../api/adapter.js";
import { builtin } from "./builtin/index.js";
import { istio } from "./istio/index.js";
import { linkerd } from "./linkerd/index.js";
import { appmesh } from "./appmesh/index.js";
import { gatewayApi } from "./gateway-api/index.js";
import { kuma } from "./kuma/index.js";

/** The shipped adapters, in registry order (`ADAPTER_NAMES`). */
export const BUILTIN_ADAPTERS: readonly Adapter[] = [builtin, istio, linkerd, appmesh, gatewayApi, kuma];
