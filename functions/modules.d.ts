/** Scalar's self-contained browser bundle, imported as text (the Text rule in wrangler.toml). */
declare module "@scalar/api-reference/dist/browser/standalone.js" {
  const source: string;
  export default source;
}
