/** What route-level and destination-level feature modules receive. */
import type { DestinationView } from "../../../api/model.js";
import type { IstioContext } from "../context.js";
import type { DestinationRuleSet } from "../destinationRules.js";

/** Context of one destination's translation. */
export interface DestinationContext {
  ic: IstioContext;
  view: DestinationView;
  drs: DestinationRuleSet;
}
