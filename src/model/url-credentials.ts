// Credentials written into a URL (`https://user:password@charts.example.com/`): Flux accepts them in a
// source's spec.url, helm sends them as basic auth, and Go's errors quote the URL whole. The password
// is a secret wherever the URL is printed; podo prints such URLs without their userinfo.

const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^@/?#\s]*)@/gi;

/** The password of URL's userinfo, as written and percent-decoded; none without one. */
export function urlPasswords(url: string): string[] {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^@/?#\s]*)@/i.exec(url.trim());
  if (!m) return [];
  const info = m[1];
  const colon = info.indexOf(':');
  // A userinfo without a colon is a token on its own (`https://ghp_xxx@github.com`).
  const raw = colon < 0 ? info : info.slice(colon + 1);
  if (raw === '') return [];
  const out = [raw];
  try {
    const decoded = decodeURIComponent(raw);
    if (decoded !== raw) out.push(decoded);
  } catch {
    /* not valid percent-encoding: as written only */
  }
  return out;
}

/** TEXT with the userinfo of every URL in it removed: `https://charts.example.com/`. */
export function withoutUserinfo(text: string): string {
  return text.replace(USERINFO, '$1');
}
