//go:build dnnl

#include <stdlib.h>
#include <string.h>
#include "dnnl.h"

#define CHECK(x) do { dnnl_status_t s_ = (x); if (s_ != dnnl_success) return (int)s_; } while (0)

int tsg_init(tsg_ctx *c) {
	CHECK(dnnl_engine_create(&c->engine, dnnl_cpu, 0));
	CHECK(dnnl_stream_create(&c->stream, c->engine, dnnl_stream_default_flags));
	return 0;
}

const char *tsg_status(int s) {
	switch (s) {
	case dnnl_out_of_memory: return "out of memory";
	case dnnl_invalid_arguments: return "invalid arguments";
	case dnnl_unimplemented: return "unimplemented";
	case dnnl_iterator_ends: return "iterator ends";
	case dnnl_runtime_error: return "runtime error";
	case dnnl_not_required: return "not required";
	default: return "unknown status";
	}
}

void tsg_free_exec(tsg_exec *e) {
	for (int i = 0; i < e->nargs; i++) {
		if (e->mode[i] == TSG_SHARED) continue;
		if (e->reorder[i]) dnnl_primitive_destroy(e->reorder[i]);
		if (e->inner[i] && e->inner[i] != e->user[i]) dnnl_memory_destroy(e->inner[i]);
		if (e->user[i]) dnnl_memory_destroy(e->user[i]);
	}
	if (e->prim) dnnl_primitive_destroy(e->prim);
	memset(e, 0, sizeof *e);
}

// reserve gives argument i of e a place of n bytes in the shared scratch,
// growing the scratch when needed (only while primitives are created).
static int reserve(tsg_ctx *c, tsg_exec *e, int i, size_t n) {
	e->offset[i] = (long)e->scratch_need;
	e->scratch_need += (n + 63) / 64 * 64;
	if (e->scratch_need > c->scratch_size) {
		void *p = NULL;
		if (posix_memalign(&p, 64, e->scratch_need)) return (int)dnnl_out_of_memory;
		free(c->scratch);
		c->scratch = p;
		c->scratch_size = e->scratch_need;
	}
	return 0;
}

// add_arg binds argument arg of the primitive described by pd to a caller
// buffer of layout user_md (NULL for TSG_SCRATCH), creating the reorder that
// the mode needs when the primitive chose another layout.
static int add_arg(tsg_ctx *c, tsg_exec *e, const_dnnl_primitive_desc_t pd, int arg,
		const dnnl_memory_desc_t *user_md, int mode) {
	const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, arg);
	int i = e->nargs++;
	e->arg[i] = arg;
	e->mode[i] = mode;
	e->offset[i] = -1;
	if (mode == TSG_SCRATCH) {
		CHECK(dnnl_memory_create(&e->inner[i], md, c->engine, DNNL_MEMORY_ALLOCATE));
		return 0;
	}
	CHECK(dnnl_memory_create(&e->user[i], user_md, c->engine, NULL));
	if (mode != TSG_OUT_ADD && dnnl_memory_desc_equal(md, user_md)) {
		e->inner[i] = e->user[i];
		return 0;
	}
	CHECK(dnnl_memory_create(&e->inner[i], md, c->engine, NULL));
	CHECK(reserve(c, e, i, dnnl_memory_desc_get_size(md)));
	dnnl_primitive_desc_t rpd;
	dnnl_primitive_attr_t attr = NULL;
	if (mode == TSG_OUT_ADD) {
		dnnl_post_ops_t po;
		CHECK(dnnl_primitive_attr_create(&attr));
		CHECK(dnnl_post_ops_create(&po));
		CHECK(dnnl_post_ops_append_sum(po, 1.0f));
		CHECK(dnnl_primitive_attr_set_post_ops(attr, po));
		dnnl_post_ops_destroy(po);
	}
	if (mode == TSG_IN) {
		CHECK(dnnl_reorder_primitive_desc_create(&rpd, user_md, c->engine, md, c->engine, attr));
	} else {
		CHECK(dnnl_reorder_primitive_desc_create(&rpd, md, c->engine, user_md, c->engine, attr));
	}
	if (attr) dnnl_primitive_attr_destroy(attr);
	dnnl_status_t s = dnnl_primitive_create(&e->reorder[i], rpd);
	dnnl_primitive_desc_destroy(rpd);
	return (int)s;
}

static int finish(tsg_exec *e, dnnl_primitive_desc_t pd) {
	dnnl_status_t s = dnnl_primitive_create(&e->prim, pd);
	return (int)s;
}

int tsg_run(tsg_ctx *c, tsg_exec *e, void *p0, void *p1, void *p2, void *p3,
		void *p4, void *p5, void *p6, void *p7, void *p8, void *p9) {
	void *ptr[TSG_MAX_ARGS] = {p0, p1, p2, p3, p4, p5, p6, p7, p8, p9};
	dnnl_exec_arg_t args[TSG_MAX_ARGS];
	for (int i = 0; i < e->nargs; i++) {
		if (e->mode[i] < TSG_SCRATCH) CHECK(dnnl_memory_set_data_handle(e->user[i], ptr[i]));
		if (e->offset[i] >= 0) {
			CHECK(dnnl_memory_set_data_handle(e->inner[i], (char *)c->scratch + e->offset[i]));
		}
		if (e->mode[i] == TSG_IN && e->reorder[i]) {
			dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, e->user[i]}, {DNNL_ARG_TO, e->inner[i]}};
			CHECK(dnnl_primitive_execute(e->reorder[i], c->stream, 2, ra));
		}
		args[i].arg = e->arg[i];
		args[i].memory = e->inner[i];
	}
	CHECK(dnnl_primitive_execute(e->prim, c->stream, e->nargs, args));
	for (int i = 0; i < e->nargs; i++) {
		if ((e->mode[i] == TSG_OUT || e->mode[i] == TSG_OUT_ADD) && e->reorder[i]) {
			dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, e->inner[i]}, {DNNL_ARG_TO, e->user[i]}};
			CHECK(dnnl_primitive_execute(e->reorder[i], c->stream, 2, ra));
		}
	}
	CHECK(dnnl_stream_wait(c->stream));
	// The caller's buffers are Go memory: forget them before returning.
	for (int i = 0; i < e->nargs; i++) {
		if (e->mode[i] < TSG_SCRATCH) CHECK(dnnl_memory_set_data_handle(e->user[i], NULL));
	}
	return 0;
}

int tsg_conv(tsg_ctx *c, tsg_exec *fwd, tsg_exec *bwd_data, tsg_exec *bwd_weights,
		int n, int ic, int ih, int iw, int oc, int oh, int ow, int groups,
		int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int with_bias, int relu) {
	dnnl_memory_desc_t src, dst, wei_user, wei_any, bias;
	dnnl_dims_t sd = {n, ic, ih, iw}, dd = {n, oc, oh, ow}, bd = {oc};
	CHECK(dnnl_memory_desc_init_by_tag(&src, 4, sd, dnnl_f32, dnnl_nhwc));
	CHECK(dnnl_memory_desc_init_by_tag(&dst, 4, dd, dnnl_f32, dnnl_nhwc));
	CHECK(dnnl_memory_desc_init_by_tag(&bias, 1, bd, dnnl_f32, dnnl_a));
	if (groups == 1) {
		dnnl_dims_t wd = {oc, ic, kh, kw};
		CHECK(dnnl_memory_desc_init_by_tag(&wei_user, 4, wd, dnnl_f32, dnnl_hwio));
		CHECK(dnnl_memory_desc_init_by_tag(&wei_any, 4, wd, dnnl_f32, dnnl_format_tag_any));
	} else {
		dnnl_dims_t wd = {groups, oc / groups, ic / groups, kh, kw};
		CHECK(dnnl_memory_desc_init_by_tag(&wei_user, 5, wd, dnnl_f32, dnnl_hwigo));
		CHECK(dnnl_memory_desc_init_by_tag(&wei_any, 5, wd, dnnl_f32, dnnl_format_tag_any));
	}
	dnnl_dims_t strides = {sh, sw}, dil = {dh - 1, dw - 1}, pl = {ph, pw};
	dnnl_dims_t pr = {(oh - 1) * sh + (kh - 1) * dh + 1 - ih - ph,
		(ow - 1) * sw + (kw - 1) * dw + 1 - iw - pw};

	dnnl_convolution_desc_t fd;
	CHECK(dnnl_dilated_convolution_forward_desc_init(&fd,
		relu ? dnnl_forward_inference : dnnl_forward_training,
		dnnl_convolution_direct, &src, &wei_any, with_bias ? &bias : NULL, &dst,
		strides, dil, pl, pr));
	dnnl_primitive_attr_t attr = NULL;
	if (relu) {
		dnnl_post_ops_t po;
		CHECK(dnnl_primitive_attr_create(&attr));
		CHECK(dnnl_post_ops_create(&po));
		CHECK(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0, 0));
		CHECK(dnnl_primitive_attr_set_post_ops(attr, po));
		dnnl_post_ops_destroy(po);
		bwd_data = bwd_weights = NULL;
	}
	dnnl_primitive_desc_t fpd;
	dnnl_status_t cs = dnnl_primitive_desc_create(&fpd, &fd, attr, c->engine, NULL);
	if (attr) dnnl_primitive_attr_destroy(attr);
	CHECK(cs);
	int s;
	if ((s = add_arg(c, fwd, fpd, DNNL_ARG_SRC, &src, TSG_IN))) goto out;
	if ((s = add_arg(c, fwd, fpd, DNNL_ARG_WEIGHTS, &wei_user, TSG_IN))) goto out;
	if (with_bias && (s = add_arg(c, fwd, fpd, DNNL_ARG_BIAS, &bias, TSG_IN))) goto out;
	if ((s = add_arg(c, fwd, fpd, DNNL_ARG_DST, &dst, TSG_OUT))) goto out;
	if ((s = finish(fwd, fpd))) goto out;

	if (bwd_data) {
		dnnl_convolution_desc_t bd_;
		dnnl_primitive_desc_t bpd;
		if ((s = dnnl_dilated_convolution_backward_data_desc_init(&bd_, dnnl_convolution_direct,
				&src, &wei_any, &dst, strides, dil, pl, pr))) goto out;
		if ((s = dnnl_primitive_desc_create(&bpd, &bd_, NULL, c->engine, fpd))) goto out;
		s = add_arg(c, bwd_data, bpd, DNNL_ARG_DIFF_DST, &dst, TSG_IN);
		if (!s) s = add_arg(c, bwd_data, bpd, DNNL_ARG_WEIGHTS, &wei_user, TSG_IN);
		if (!s) s = add_arg(c, bwd_data, bpd, DNNL_ARG_DIFF_SRC, &src, TSG_OUT_ADD);
		if (!s) s = finish(bwd_data, bpd);
		dnnl_primitive_desc_destroy(bpd);
		if (s) goto out;
	}
	if (bwd_weights) {
		dnnl_convolution_desc_t wd_;
		dnnl_primitive_desc_t wpd;
		if ((s = dnnl_dilated_convolution_backward_weights_desc_init(&wd_,
				dnnl_convolution_direct, &src, &wei_any, with_bias ? &bias : NULL, &dst,
				strides, dil, pl, pr))) goto out;
		if ((s = dnnl_primitive_desc_create(&wpd, &wd_, NULL, c->engine, fpd))) goto out;
		s = add_arg(c, bwd_weights, wpd, DNNL_ARG_SRC, &src, TSG_IN);
		if (!s) s = add_arg(c, bwd_weights, wpd, DNNL_ARG_DIFF_DST, &dst, TSG_IN);
		if (!s) s = add_arg(c, bwd_weights, wpd, DNNL_ARG_DIFF_WEIGHTS, &wei_user, TSG_OUT_ADD);
		if (!s && with_bias) s = add_arg(c, bwd_weights, wpd, DNNL_ARG_DIFF_BIAS, &bias, TSG_OUT_ADD);
		if (!s) s = finish(bwd_weights, wpd);
		dnnl_primitive_desc_destroy(wpd);
	}
out:
	dnnl_primitive_desc_destroy(fpd);
	return s;
}

int tsg_bnorm(tsg_ctx *c, tsg_exec *train, tsg_exec *infer, tsg_exec *bwd,
		int n, int ch, int h, int w, float eps) {
	dnnl_memory_desc_t data, stat;
	dnnl_dims_t dd = {n, ch, h, w}, cd = {ch};
	CHECK(dnnl_memory_desc_init_by_tag(&data, 4, dd, dnnl_f32, dnnl_nhwc));
	CHECK(dnnl_memory_desc_init_by_tag(&stat, 1, cd, dnnl_f32, dnnl_a));
	unsigned flags = dnnl_use_scale | dnnl_use_shift;
	dnnl_batch_normalization_desc_t td, id, bd;
	dnnl_primitive_desc_t tpd, ipd, bpd;
	CHECK(dnnl_batch_normalization_forward_desc_init(&td, dnnl_forward_training, &data, eps, flags));
	CHECK(dnnl_primitive_desc_create(&tpd, &td, NULL, c->engine, NULL));
	int s = add_arg(c, train, tpd, DNNL_ARG_SRC, &data, TSG_IN);
	if (!s) s = add_arg(c, train, tpd, DNNL_ARG_SCALE, &stat, TSG_IN);
	if (!s) s = add_arg(c, train, tpd, DNNL_ARG_SHIFT, &stat, TSG_IN);
	if (!s) s = add_arg(c, train, tpd, DNNL_ARG_DST, &data, TSG_OUT);
	if (!s) s = add_arg(c, train, tpd, DNNL_ARG_MEAN, &stat, TSG_OUT);
	if (!s) s = add_arg(c, train, tpd, DNNL_ARG_VARIANCE, &stat, TSG_OUT);
	if (!s) s = finish(train, tpd);
	if (s) { dnnl_primitive_desc_destroy(tpd); return s; }

	s = dnnl_batch_normalization_forward_desc_init(&id, dnnl_forward_inference, &data, eps,
		flags | dnnl_use_global_stats);
	if (!s) s = dnnl_primitive_desc_create(&ipd, &id, NULL, c->engine, NULL);
	if (s) { dnnl_primitive_desc_destroy(tpd); return s; }
	s = add_arg(c, infer, ipd, DNNL_ARG_SRC, &data, TSG_IN);
	if (!s) s = add_arg(c, infer, ipd, DNNL_ARG_SCALE, &stat, TSG_IN);
	if (!s) s = add_arg(c, infer, ipd, DNNL_ARG_SHIFT, &stat, TSG_IN);
	if (!s) s = add_arg(c, infer, ipd, DNNL_ARG_MEAN, &stat, TSG_IN);
	if (!s) s = add_arg(c, infer, ipd, DNNL_ARG_VARIANCE, &stat, TSG_IN);
	if (!s) s = add_arg(c, infer, ipd, DNNL_ARG_DST, &data, TSG_OUT);
	if (!s) s = finish(infer, ipd);
	dnnl_primitive_desc_destroy(ipd);
	if (s) { dnnl_primitive_desc_destroy(tpd); return s; }

	s = dnnl_batch_normalization_backward_desc_init(&bd, dnnl_backward, &data, &data, eps, flags);
	if (!s) s = dnnl_primitive_desc_create(&bpd, &bd, NULL, c->engine, tpd);
	dnnl_primitive_desc_destroy(tpd);
	if (s) return s;
	s = add_arg(c, bwd, bpd, DNNL_ARG_SRC, &data, TSG_IN);
	if (!s) s = add_arg(c, bwd, bpd, DNNL_ARG_DIFF_DST, &data, TSG_IN);
	if (!s) s = add_arg(c, bwd, bpd, DNNL_ARG_SCALE, &stat, TSG_IN);
	if (!s) s = add_arg(c, bwd, bpd, DNNL_ARG_SHIFT, &stat, TSG_IN);
	if (!s) s = add_arg(c, bwd, bpd, DNNL_ARG_MEAN, &stat, TSG_IN);
	if (!s) s = add_arg(c, bwd, bpd, DNNL_ARG_VARIANCE, &stat, TSG_IN);
	if (!s) s = add_arg(c, bwd, bpd, DNNL_ARG_DIFF_SRC, &data, TSG_OUT_ADD);
	if (!s) s = add_arg(c, bwd, bpd, DNNL_ARG_DIFF_SCALE, &stat, TSG_OUT_ADD);
	if (!s) s = add_arg(c, bwd, bpd, DNNL_ARG_DIFF_SHIFT, &stat, TSG_OUT_ADD);
	if (!s) s = finish(bwd, bpd);
	dnnl_primitive_desc_destroy(bpd);
	return s;
}

// shared binds argument arg of e to memory m that another exec owns.
static void shared(tsg_exec *e, int arg, dnnl_memory_t m) {
	int i = e->nargs++;
	e->arg[i] = arg;
	e->offset[i] = -1;
	e->mode[i] = TSG_SHARED;
	e->inner[i] = m;
}

// nhwc returns a plain NHWC descriptor of logical dims (n, ch, h, w).
static dnnl_status_t nhwc(dnnl_memory_desc_t *md, const int *d) {
	dnnl_dims_t dims = {d[0], d[1], d[2], d[3]};
	return dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32, dnnl_nhwc);
}

// build finishes exec e over the primitive descriptor pd (consumed).
#define BUILD(e, pd, body) do { int s_ = 0; body; if (!s_) s_ = finish(e, pd); \
	dnnl_primitive_desc_destroy(pd); if (s_) return s_; } while (0)
#define ARG(e, pd, a, md, mode) if (!s_) s_ = add_arg(c, e, pd, a, md, mode)

int tsg_eltwise(tsg_ctx *c, tsg_exec *fwd, tsg_exec *bwd, int n, int logistic) {
	dnnl_memory_desc_t md;
	dnnl_dims_t d = {n};
	CHECK(dnnl_memory_desc_init_by_tag(&md, 1, d, dnnl_f32, dnnl_a));
	dnnl_alg_kind_t alg = logistic ? dnnl_eltwise_logistic_use_dst_for_bwd
		: dnnl_eltwise_relu_use_dst_for_bwd;
	dnnl_eltwise_desc_t fd, bd;
	dnnl_primitive_desc_t fpd, bpd;
	CHECK(dnnl_eltwise_forward_desc_init(&fd, dnnl_forward_training, alg, &md, 0, 0));
	CHECK(dnnl_primitive_desc_create(&fpd, &fd, NULL, c->engine, NULL));
	CHECK(dnnl_eltwise_backward_desc_init(&bd, alg, &md, &md, 0, 0));
	int s = dnnl_primitive_desc_create(&bpd, &bd, NULL, c->engine, fpd);
	if (s) { dnnl_primitive_desc_destroy(fpd); return s; }
	BUILD(fwd, fpd, ARG(fwd, fpd, DNNL_ARG_SRC, &md, TSG_IN); ARG(fwd, fpd, DNNL_ARG_DST, &md, TSG_OUT));
	BUILD(bwd, bpd, ARG(bwd, bpd, DNNL_ARG_DST, &md, TSG_IN);
		ARG(bwd, bpd, DNNL_ARG_DIFF_DST, &md, TSG_IN);
		ARG(bwd, bpd, DNNL_ARG_DIFF_SRC, &md, TSG_OUT_ADD));
	return 0;
}

int tsg_binary(tsg_ctx *c, tsg_exec *e, int mul, const int *a, const int *b, int add_to_dst) {
	dnnl_memory_desc_t ma, mb;
	CHECK(nhwc(&ma, a));
	CHECK(nhwc(&mb, b));
	dnnl_binary_desc_t bd;
	dnnl_primitive_desc_t pd;
	CHECK(dnnl_binary_desc_init(&bd, mul ? dnnl_binary_mul : dnnl_binary_add, &ma, &mb, &ma));
	CHECK(dnnl_primitive_desc_create(&pd, &bd, NULL, c->engine, NULL));
	BUILD(e, pd, ARG(e, pd, DNNL_ARG_SRC_0, &ma, TSG_IN); ARG(e, pd, DNNL_ARG_SRC_1, &mb, TSG_IN);
		ARG(e, pd, DNNL_ARG_DST, &ma, add_to_dst ? TSG_OUT_ADD : TSG_OUT));
	return 0;
}

int tsg_reduce_sum(tsg_ctx *c, tsg_exec *e, const int *src, const int *dst) {
	dnnl_memory_desc_t ms, md;
	CHECK(nhwc(&ms, src));
	CHECK(nhwc(&md, dst));
	dnnl_reduction_desc_t rd;
	dnnl_primitive_desc_t pd;
	CHECK(dnnl_reduction_desc_init(&rd, dnnl_reduction_sum, &ms, &md, 0, 0));
	CHECK(dnnl_primitive_desc_create(&pd, &rd, NULL, c->engine, NULL));
	BUILD(e, pd, ARG(e, pd, DNNL_ARG_SRC, &ms, TSG_IN); ARG(e, pd, DNNL_ARG_DST, &md, TSG_OUT_ADD));
	return 0;
}

int tsg_pool(tsg_ctx *c, tsg_exec *fwd, tsg_exec *bwd, int avg, int n, int ch, int h, int w,
		int oh, int ow, int kh, int kw, int st, int p) {
	dnnl_memory_desc_t src, dst;
	int sd[4] = {n, ch, h, w}, dd[4] = {n, ch, oh, ow};
	CHECK(nhwc(&src, sd));
	CHECK(nhwc(&dst, dd));
	dnnl_dims_t strides = {st, st}, kernel = {kh, kw}, dil = {0, 0}, pl = {p, p};
	dnnl_dims_t pr = {(oh - 1) * st + kh - h - p, (ow - 1) * st + kw - w - p};
	dnnl_alg_kind_t alg = avg ? dnnl_pooling_avg_exclude_padding : dnnl_pooling_max;
	dnnl_pooling_v2_desc_t fd, bd;
	dnnl_primitive_desc_t fpd, bpd;
	CHECK(dnnl_pooling_v2_forward_desc_init(&fd, dnnl_forward_training, alg, &src, &dst,
		strides, kernel, dil, pl, pr));
	CHECK(dnnl_primitive_desc_create(&fpd, &fd, NULL, c->engine, NULL));
	CHECK(dnnl_pooling_v2_backward_desc_init(&bd, alg, &src, &dst, strides, kernel, dil, pl, pr));
	int s = dnnl_primitive_desc_create(&bpd, &bd, NULL, c->engine, fpd);
	if (s) { dnnl_primitive_desc_destroy(fpd); return s; }
	const dnnl_memory_desc_t *ws = dnnl_primitive_desc_query_md(fpd, dnnl_query_workspace_md, 0);
	int has_ws = ws && ws->ndims > 0;
	BUILD(fwd, fpd, ARG(fwd, fpd, DNNL_ARG_SRC, &src, TSG_IN); ARG(fwd, fpd, DNNL_ARG_DST, &dst, TSG_OUT);
		if (has_ws) ARG(fwd, fpd, DNNL_ARG_WORKSPACE, NULL, TSG_SCRATCH));
	BUILD(bwd, bpd, ARG(bwd, bpd, DNNL_ARG_DIFF_DST, &dst, TSG_IN);
		ARG(bwd, bpd, DNNL_ARG_DIFF_SRC, &src, TSG_OUT_ADD);
		if (has_ws && !s_) shared(bwd, DNNL_ARG_WORKSPACE, fwd->inner[fwd->nargs - 1]));
	return 0;
}

// subview returns the channels [c0, c0+cn) of an NHWC (n, ct, h, w) tensor.
static dnnl_status_t subview(dnnl_memory_desc_t *sub, const dnnl_memory_desc_t *whole,
		int n, int h, int w, int cn, int c0) {
	dnnl_dims_t dims = {n, cn, h, w}, offs = {0, c0, 0, 0};
	return dnnl_memory_desc_init_submemory(sub, whole, dims, offs);
}

// copy_exec builds a reorder from src to dst (adding to dst when add).
static int copy_exec(tsg_ctx *c, tsg_exec *e, const dnnl_memory_desc_t *src,
		const dnnl_memory_desc_t *dst, int add) {
	dnnl_primitive_attr_t attr = NULL;
	if (add) {
		dnnl_post_ops_t po;
		CHECK(dnnl_primitive_attr_create(&attr));
		CHECK(dnnl_post_ops_create(&po));
		CHECK(dnnl_post_ops_append_sum(po, 1.0f));
		CHECK(dnnl_primitive_attr_set_post_ops(attr, po));
		dnnl_post_ops_destroy(po);
	}
	dnnl_primitive_desc_t pd;
	int s = dnnl_reorder_primitive_desc_create(&pd, src, c->engine, dst, c->engine, attr);
	if (attr) dnnl_primitive_attr_destroy(attr);
	if (s) return s;
	BUILD(e, pd, ARG(e, pd, DNNL_ARG_FROM, src, TSG_IN); ARG(e, pd, DNNL_ARG_TO, dst, TSG_OUT));
	return 0;
}

int tsg_concat(tsg_ctx *c, tsg_exec *fwd, tsg_exec *bwd_a, tsg_exec *bwd_b,
		int n, int h, int w, int ca, int cb) {
	dnnl_memory_desc_t srcs[2], dst, va, vb;
	int a[4] = {n, ca, h, w}, b[4] = {n, cb, h, w}, y[4] = {n, ca + cb, h, w};
	CHECK(nhwc(&srcs[0], a));
	CHECK(nhwc(&srcs[1], b));
	CHECK(nhwc(&dst, y));
	dnnl_primitive_desc_t pd;
	CHECK(dnnl_concat_primitive_desc_create(&pd, &dst, 2, 1, srcs, NULL, c->engine));
	BUILD(fwd, pd, ARG(fwd, pd, DNNL_ARG_MULTIPLE_SRC, &srcs[0], TSG_IN);
		ARG(fwd, pd, DNNL_ARG_MULTIPLE_SRC + 1, &srcs[1], TSG_IN);
		ARG(fwd, pd, DNNL_ARG_DST, &dst, TSG_OUT));
	CHECK(subview(&va, &dst, n, h, w, ca, 0));
	CHECK(subview(&vb, &dst, n, h, w, cb, ca));
	int s = copy_exec(c, bwd_a, &va, &srcs[0], 1);
	if (!s) s = copy_exec(c, bwd_b, &vb, &srcs[1], 1);
	return s;
}

int tsg_resample(tsg_ctx *c, tsg_exec *fwd, tsg_exec *bwd, int bilinear, int n, int ch,
		int h, int w) {
	dnnl_memory_desc_t src, dst;
	int sd[4] = {n, ch, h, w}, dd[4] = {n, ch, 2 * h, 2 * w};
	CHECK(nhwc(&src, sd));
	CHECK(nhwc(&dst, dd));
	float f[2] = {2, 2};
	dnnl_alg_kind_t alg = bilinear ? dnnl_resampling_linear : dnnl_resampling_nearest;
	dnnl_resampling_desc_t fd, bd;
	dnnl_primitive_desc_t fpd, bpd;
	CHECK(dnnl_resampling_forward_desc_init(&fd, dnnl_forward_training, alg, f, &src, &dst));
	CHECK(dnnl_primitive_desc_create(&fpd, &fd, NULL, c->engine, NULL));
	CHECK(dnnl_resampling_backward_desc_init(&bd, alg, f, &src, &dst));
	int s = dnnl_primitive_desc_create(&bpd, &bd, NULL, c->engine, fpd);
	if (s) { dnnl_primitive_desc_destroy(fpd); return s; }
	BUILD(fwd, fpd, ARG(fwd, fpd, DNNL_ARG_SRC, &src, TSG_IN); ARG(fwd, fpd, DNNL_ARG_DST, &dst, TSG_OUT));
	BUILD(bwd, bpd, ARG(bwd, bpd, DNNL_ARG_DIFF_DST, &dst, TSG_IN);
		ARG(bwd, bpd, DNNL_ARG_DIFF_SRC, &src, TSG_OUT_ADD));
	return 0;
}

// tsg_cells2x2 builds the copies between z (N,H,W,2,2,O), the 2x2 output
// cells of every input pixel of a transposed convolution, and y
// (N,2H,2W,O): both described as 6-D (n, i, j, a, b, o) with strides.
int tsg_cells2x2(tsg_ctx *c, tsg_exec *scatter, tsg_exec *gather, int n, int h, int w, int o) {
	dnnl_memory_desc_t z, y;
	dnnl_dims_t dims = {n, h, w, 2, 2, o};
	dnnl_dims_t zs = {(dnnl_dim_t)h * w * 4 * o, (dnnl_dim_t)w * 4 * o, 4 * o, 2 * o, o, 1};
	dnnl_dims_t ys = {(dnnl_dim_t)4 * h * w * o, (dnnl_dim_t)4 * w * o, 2 * o,
		(dnnl_dim_t)2 * w * o, o, 1};
	CHECK(dnnl_memory_desc_init_by_strides(&z, 6, dims, dnnl_f32, zs));
	CHECK(dnnl_memory_desc_init_by_strides(&y, 6, dims, dnnl_f32, ys));
	int s = copy_exec(c, scatter, &z, &y, 0);
	if (!s) s = copy_exec(c, gather, &y, &z, 0);
	return s;
}
