/** The contract of the builtin adapter's feature modules. */
import type { TranslateContext } from "../../../api/adapter.js";
import type { DestinationView, EffectiveRoute, Model } from "../../../api/model.js";
import type { Destination, Route } from "../resources.js";

/** What a feature module sees. */
export interface FeatureEnv {
  model: Model;
  ctx: TranslateContext;
  dest: DestinationView;
}

/** Fills the fields of one compiled route that its feature owns (and reports what it cannot express). */
export type RouteFeature = (route: EffectiveRoute, out: Route, env: FeatureEnv) => void;

/** Fills the destination-level fields its feature owns. */
export type DestinationFeature = (out: Destination, env: FeatureEnv) => void;
