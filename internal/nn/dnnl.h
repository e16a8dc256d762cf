//go:build dnnl

// C side of the oneDNN backend: a primitive together with the memories of
// its arguments, and the reorders between the caller's plain layouts and
// the layouts the primitive chose.
#ifndef TUMORSEG_DNNL_H
#define TUMORSEG_DNNL_H

#include <oneapi/dnnl/dnnl.h>

#define TSG_MAX_ARGS 10

// How an argument meets the caller's buffer.
enum {
	TSG_IN = 0,      // read from the caller's buffer
	TSG_OUT = 1,     // written over the caller's buffer
	TSG_OUT_ADD = 2, // added to the caller's buffer
	TSG_SCRATCH = 3, // owned by the primitive (workspace), never the caller's
	TSG_SHARED = 4,  // another exec's scratch memory (a workspace)
};

typedef struct {
	dnnl_primitive_t prim;
	int nargs;
	int arg[TSG_MAX_ARGS];
	int mode[TSG_MAX_ARGS];
	dnnl_memory_t user[TSG_MAX_ARGS];        // caller's layout; handle set per run
	dnnl_memory_t inner[TSG_MAX_ARGS];       // primitive's layout (== user if no reorder)
	dnnl_primitive_t reorder[TSG_MAX_ARGS];  // NULL when the layouts agree
	// A reordered argument's inner memory lives in the context's scratch at
	// this offset, or -1 when it needs none of it.
	long offset[TSG_MAX_ARGS];
	size_t scratch_need; // bytes of scratch the inner memories take
} tsg_exec;

// tsg_ctx is the engine and stream, and one scratch buffer that every
// primitive's reordered arguments share: primitives run one at a time, so
// the copies in the primitives' layouts need only live during one run.
typedef struct {
	dnnl_engine_t engine;
	dnnl_stream_t stream;
	void *scratch;
	size_t scratch_size;
} tsg_ctx;

int tsg_init(tsg_ctx *c);
void tsg_free_exec(tsg_exec *e);

// The primitive creators return 0 or a dnnl_status_t.
int tsg_conv(tsg_ctx *c, tsg_exec *fwd, tsg_exec *bwd_data, tsg_exec *bwd_weights,
	int n, int ic, int ih, int iw, int oc, int oh, int ow, int groups,
	int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int with_bias, int relu);
int tsg_bnorm(tsg_ctx *c, tsg_exec *train, tsg_exec *infer, tsg_exec *bwd,
	int n, int ch, int h, int w, float eps);
int tsg_eltwise(tsg_ctx *c, tsg_exec *fwd, tsg_exec *bwd, int n, int logistic);
int tsg_binary(tsg_ctx *c, tsg_exec *e, int mul, const int *a, const int *b, int add_to_dst);
int tsg_reduce_sum(tsg_ctx *c, tsg_exec *e, const int *src, const int *dst);
int tsg_pool(tsg_ctx *c, tsg_exec *fwd, tsg_exec *bwd, int avg, int n, int ch, int h, int w,
	int oh, int ow, int kh, int kw, int s, int p);
int tsg_concat(tsg_ctx *c, tsg_exec *fwd, tsg_exec *bwd_a, tsg_exec *bwd_b,
	int n, int h, int w, int ca, int cb);
int tsg_resample(tsg_ctx *c, tsg_exec *fwd, tsg_exec *bwd, int bilinear, int n, int ch,
	int h, int w);
int tsg_cells2x2(tsg_ctx *c, tsg_exec *scatter, tsg_exec *gather, int n, int h, int w, int o);
int tsg_run(tsg_ctx *c, tsg_exec *e, void *p0, void *p1, void *p2, void *p3,
	void *p4, void *p5, void *p6, void *p7, void *p8, void *p9);
const char *tsg_status(int s);

#endif
