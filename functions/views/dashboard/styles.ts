/** The dashboard's whole stylesheet, inlined into each page: no external assets. */
export const DASHBOARD_CSS = `
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f4f5f7;color:#1b1f24}
main{max-width:64rem;margin:0 auto;padding:1.5rem 1rem 3rem}
header{display:flex;flex-wrap:wrap;align-items:baseline;justify-content:space-between;gap:.5rem 1.5rem;margin-bottom:1rem}
h1{font-size:1.35rem;margin:0}h1 small{font-weight:400;color:#57606a;font-size:.9rem;margin-left:.5rem}
h2{font-size:1rem;margin:0 0 .75rem}
.card{background:#fff;border:1px solid #d8dee4;border-radius:8px;padding:1rem 1.25rem;margin-bottom:1rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:1rem}
.grid .card{margin-bottom:0}
.muted{color:#57606a;font-size:.875rem}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em}
form.range{display:flex;flex-wrap:wrap;align-items:end;gap:.5rem 1rem}
form.range label{display:flex;flex-direction:column;font-size:.8rem;color:#57606a}
input{font:inherit;padding:.3rem .4rem;border:1px solid #afb8c1;border-radius:4px}
button{font:inherit;padding:.35rem .9rem;border:0;border-radius:4px;background:#0b5cad;color:#fff;cursor:pointer}
nav.presets a{margin-right:.75rem;font-size:.875rem;color:#0b5cad}
.totals{display:flex;flex-wrap:wrap;gap:.25rem 2rem;margin:0 0 .75rem}
.totals div{display:flex;flex-direction:column}.totals dt{font-size:.8rem;color:#57606a}.totals dd{margin:0;font-size:1.15rem;font-weight:600}
svg.chart{width:100%;height:auto;display:block}
svg.chart .bar{fill:#2f6fbf}svg.chart .bar:hover{fill:#174a88}
svg.chart .grid{stroke:#e4e8ec}svg.chart .axis{stroke:#8c959f}
svg.chart text{font-size:12px;fill:#57606a}
svg.meter{width:100%;height:22px;display:block;margin:.5rem 0}
.legend span{display:inline-block;width:.7rem;height:.7rem;border-radius:2px;margin:0 .3rem 0 .9rem;vertical-align:-1px}
table{width:100%;border-collapse:collapse;font-size:.875rem}
th,td{text-align:left;padding:.35rem .45rem;border-bottom:1px solid #eaeef2;white-space:nowrap}
th{font-weight:600;color:#57606a;font-size:.8rem}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tfoot td{font-weight:600;border-bottom:0}
.scroll{overflow-x:auto}
.status{display:inline-block;padding:0 .45rem;border-radius:999px;font-size:.8rem;font-weight:600}
.status-succeeded{background:#dafbe1;color:#116329}.status-failed{background:#ffebe9;color:#a40e26}
.status-timed_out{background:#fff1c2;color:#7d4e00}.status-canceled{background:#eaeef2;color:#424a53}
.status-error{background:#fbefff;color:#6e2b9e}.status-queued,.status-running{background:#ddf4ff;color:#0b5cad}
.message{max-width:34rem;margin:4rem auto}
.message .code{font-size:.8rem;color:#57606a;text-transform:uppercase;letter-spacing:.05em}
.message form{display:flex;flex-direction:column;gap:.75rem;margin-top:1rem}
.message label{display:flex;flex-direction:column;font-size:.85rem;color:#57606a;gap:.2rem}
`;
