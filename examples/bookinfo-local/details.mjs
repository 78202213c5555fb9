// Bookinfo's details service: facts about the book.
import { serve } from "./mesh-client.mjs";

serve("details", (req, url) => {
  const m = /^\/details\/(\d+)$/.exec(url.pathname);
  if (!m) return { status: 404, body: "not found" };
  return {
    body: {
      id: Number(m[1]),
      author: "William Shakespeare",
      year: 1595,
      type: "paperback",
      pages: 200,
      publisher: "PublisherA",
      language: "English",
      "ISBN-10": "1234567890",
    },
  };
});
