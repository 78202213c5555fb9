// Bookinfo's reviews service, in three versions (UNIMESH_LABELS {"version": "v1"|"v2"|"v3"}):
// v1 shows no stars, v2 black stars, v3 red stars (v2 and v3 call ratings through the mesh).
import { get, serve } from "./mesh-client.mjs";

const version = JSON.parse(process.env.UNIMESH_LABELS ?? "{}").version ?? "v1";
const color = { v2: "black", v3: "red" }[version];

serve(`reviews-${version}`, async (req, url) => {
  const m = /^\/reviews\/(\d+)$/.exec(url.pathname);
  if (!m) return { status: 404, body: "not found" };
  const reviews = [
    { reviewer: "Reviewer1", text: "An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!" },
    { reviewer: "Reviewer2", text: "Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare." },
  ];
  if (color) {
    const r = await get(`http://ratings:9080/ratings/${m[1]}`, req.headers);
    if (r.status === 200) {
      const { ratings } = JSON.parse(r.body);
      reviews[0].rating = { stars: ratings.Reviewer1, color };
      reviews[1].rating = { stars: ratings.Reviewer2, color };
    } else {
      for (const x of reviews) x.rating = { error: `ratings answered ${r.status}: ${r.body.trim()}` };
    }
  }
  // UNIMESH_MEMBER: the member of a virtual mesh it runs in (`unimesh up` with a VirtualMesh).
  const member = process.env.UNIMESH_MEMBER ? { cluster: process.env.UNIMESH_MEMBER } : {};
  return { body: { id: Number(m[1]), version, podname: `reviews-${version}`, ...member, reviews } };
});
