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
		if (e->reorder[i]) dnnl_primitive_destroy(e->reorder[i]);
		if (e->inner[i] && e->inner[i] != e->user[i]) dnnl_memory_destroy(e->inner[i]);
		if (e->user[i]) dnnl_memory_destroy(e->user[i]);
	}
	if (e->prim) dnnl_primitive_destroy(e->prim);
	memset(e, 0, sizeof *e);
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
	if (mode == TSG_SCRATCH) {
		CHECK(dnnl_memory_create(&e->inner[i], md, c->engine, DNNL_MEMORY_ALLOCATE));
		return 0;
	}
	CHECK(dnnl_memory_create(&e->user[i], user_md, c->engine, NULL));
	if (mode != TSG_OUT_ADD && dnnl_memory_desc_equal(md, user_md)) {
		e->inner[i] = e->user[i];
		return 0;
	}
	CHECK(dnnl_memory_create(&e->inner[i], md, c->engine, DNNL_MEMORY_ALLOCATE));
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
		if (e->mode[i] != TSG_SCRATCH) CHECK(dnnl_memory_set_data_handle(e->user[i], ptr[i]));
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
		if (e->mode[i] != TSG_SCRATCH) CHECK(dnnl_memory_set_data_handle(e->user[i], NULL));
	}
	return 0;
}

int tsg_conv(tsg_ctx *c, tsg_exec *fwd, tsg_exec *bwd_data, tsg_exec *bwd_weights,
		int n, int ic, int ih, int iw, int oc, int oh, int ow, int groups,
		int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int with_bias) {
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
	CHECK(dnnl_dilated_convolution_forward_desc_init(&fd, dnnl_forward_training,
		dnnl_convolution_direct, &src, &wei_any, with_bias ? &bias : NULL, &dst,
		strides, dil, pl, pr));
	dnnl_primitive_desc_t fpd;
	CHECK(dnnl_primitive_desc_create(&fpd, &fd, NULL, c->engine, NULL));
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
