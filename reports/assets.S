/* assets.S: what every HTML page inlines, built into the binary so a
 * page is one self-contained file wherever viperbench runs: d3 and
 * d3-flame-graph (npm, fetched by make into build/web: the assembler's
 * include path names its node_modules) and the pages' own script and
 * style (reports/web).
 * Each is followed by a NUL, so C reads it as a string.
 */
#define ASSET(sym, path) \
  .global sym; .type sym, @object; sym: .incbin path; .byte 0; .size sym, . - sym

  .section .rodata
#ifndef WEB_MISSING
ASSET(web_d3_js, "d3/dist/d3.min.js")
ASSET(web_flame_js, "d3-flame-graph/dist/d3-flamegraph.umd.min.js")
#else
/* npm could not be reached when this was built: the pages say so. */
  .global web_d3_js; web_d3_js: .byte 0
  .global web_flame_js; web_flame_js: .byte 0
#endif
ASSET(web_viewer_js, "reports/web/viewer.js")
ASSET(web_viewer_css, "reports/web/viewer.css")

  .section .note.GNU-stack,"",@progbits
