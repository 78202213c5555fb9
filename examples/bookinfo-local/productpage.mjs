// Bookinfo's product page: calls details and reviews through the mesh and shows what came back.
// Try `curl localhost:8080/productpage` and `curl -H 'end-user: jason' localhost:8080/productpage`.
import { get, serve } from "./mesh-client.mjs";

serve("productpage", async (req, url) => {
  if (url.pathname === "/health") return { body: "ok" };
  if (url.pathname.startsWith("/admin")) return { body: "productpage admin (the mesh should never let you here)" };
  if (url.pathname !== "/productpage" && url.pathname !== "/") return { status: 404, body: "not found" };
  const [details, reviews] = await Promise.all([get("http://details:9080/details/0", req.headers), get("http://reviews:9080/reviews/0", req.headers)]);
  const parse = (r) => {
    try {
      return JSON.parse(r.body);
    } catch {
      return r.body.trim();
    }
  };
  return {
    body: {
      product: "The Comedy of Errors",
      user: req.headers["end-user"] ?? "anonymous",
      caller: req.headers["x-forwarded-client-cert"]?.replace(/.*URI=/, "") ?? "(no mesh identity)",
      details: details.status === 200 ? parse(details) : { error: `details answered ${details.status}: ${details.body.trim()}` },
      reviews: reviews.status === 200 ? parse(reviews) : { error: `reviews answered ${reviews.status}: ${reviews.body.trim()}` },
    },
  };
});
