// Bookinfo's ratings service.
import { serve } from "./mesh-client.mjs";

serve("ratings", (_req, url) => {
  const m = /^\/ratings\/(\d+)$/.exec(url.pathname);
  if (!m) return { status: 404, body: "not found" };
  return { body: { id: Number(m[1]), ratings: { Reviewer1: 5, Reviewer2: 4 } } };
});
