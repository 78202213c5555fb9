/**
 * The feature module contract: an adapter is a set of feature modules, each owning one or a few model
 * features (`src/api/features.ts`). A module says, per mesh version, how well it supports each feature
 * it owns (`full`, `partial` or `none`, with the native fields it uses and what it cannot do) and holds
 * the code that translates the feature or refuses it (its diagnostics). The adapter's
 * `capabilities(version)` is derived from its modules with {@link deriveCapabilities}, so the declaration
 * and the code that implements or refuses a feature sit in one file, and every feature is owned by
 * exactly one module.
 */
import type { Capabilities, Capability } from "./adapter.js";
import { InternalError } from "./diagnostics.js";
import { FEATURES, type Feature } from "./features.js";

/** One feature module's declaration: the features it owns, with their support per mesh version. */
export interface FeatureModule {
  /** The features this module owns (translates or refuses), e.g. `["retries"]`. */
  readonly features: readonly Feature[];
  /** What the mesh `version` can express of each owned feature (exactly the keys of `features`). */
  capabilities(version: string): Partial<Record<Feature, Capability>>;
}

/** `{ support: "full", via, note? }`. */
export function full(via: string, note?: string): Capability {
  return note ? { support: "full", via, note } : { support: "full", via };
}

/** `{ support: "partial", via, note }`: `note` says what the mesh (version) cannot express. */
export function partial(via: string, note: string): Capability {
  return { support: "partial", via, note };
}

/** `{ support: "none", note }`: `note` says why the mesh (version) cannot express the feature. */
export function none(note: string): Capability {
  return { support: "none", note };
}

/** A module owning a feature the mesh cannot express in any version: `none`, with why (`note`). */
export function refusedFeature(feature: Feature, note: string): FeatureModule {
  return { features: [feature], capabilities: () => ({ [feature]: none(note) }) };
}

/**
 * The capabilities of one mesh version, from its feature modules.
 * @throws InternalError (an adapter bug) when a feature is owned by no module or by two, or a module
 *   declares a capability for a feature it does not list in `features` (or omits one it lists).
 */
export function deriveCapabilities(modules: readonly FeatureModule[], version: string): Capabilities {
  const out: Partial<Record<Feature, Capability>> = {};
  const owner = new Map<Feature, number>();
  modules.forEach((m, i) => {
    const caps = m.capabilities(version);
    const declared = Object.keys(caps).sort();
    if (declared.join() !== [...m.features].sort().join()) {
      throw new InternalError(`feature module ${i} (${m.features.join(", ")}) declares capabilities for ${declared.join(", ") || "nothing"}`);
    }
    for (const f of m.features) {
      if (owner.has(f)) throw new InternalError(`feature ${f} is owned by two feature modules (${owner.get(f)} and ${i})`);
      owner.set(f, i);
      out[f] = caps[f];
    }
  });
  const missing = FEATURES.filter((f) => !owner.has(f));
  if (missing.length) throw new InternalError(`no feature module owns ${missing.join(", ")}`);
  // In FEATURES order, for stable output.
  return Object.fromEntries(FEATURES.map((f) => [f, out[f]])) as Capabilities;
}
