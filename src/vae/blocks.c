/* The VAE block interpreter shared by encoder.c and decoder.c: the block
 * grammar of docs/MODEL.md, one function per block kind, with the banded
 * convolutions of vae.h. */
#include "kernels/ops.h"
#include "progress.h"
#include "vae/vae.h"
#include <string.h>

/* ---- planning: the largest maps, band rows and weight row a list needs ---- */

typedef struct {
    size_t map;      /* floats of the largest single map (sets the band height) */
    size_t pair;     /* floats the map buffer needs for any one block */
    size_t in_row;   /* floats of one row of a band's input, all channels */
    size_t out_row;  /* floats of one row of a band's output, all channels */
    size_t res_row;  /* floats of one row of a residual block's inner map */
    size_t stage;    /* floats a paired down block's output stages (band_in) */
    size_t row;      /* a dequantized weight row */
} vae_need;

/* ---- paired maps: a resolution change in the space of its larger side ----
 * An up block doubling the size while halving the channels (128x128x128 ->
 * 64x256x256), or a down block doing the opposite, has as many floats in
 * one row of its small map (all channels) as in one row of its large map.
 * So the small map can live inside the large one: its rows y, channels
 * 2k and 2k+1 side by side, in row `lead + y` of the large map's plane k
 * ("paired": lead = H/2 for an up block's input, 0 for a down block's
 * output).  Band by band the large map then overwrites only small-map rows
 * that no later band reads, and the block needs the larger map's floats,
 * not the two maps' sum: 16 MiB instead of 24 at 256x256.  Planar maps
 * are converted to and from paired ones in place (to_pairs, from_pairs);
 * the blocks before and after see planar maps and the same bits. */

/* Whether block b maps (c, h, w) to a map that pairs with its input. */
static int pairs(const mdm_vae_block *b, int h, int w) {
    if (b->op == MDM_VAE_UP)
        return b->ci == 2 * b->co;
    if (b->op == MDM_VAE_DOWN)
        return b->co == 2 * b->ci && h % 2 == 0 && w % 2 == 0;
    return 0;
}

static void need_max(size_t *m, size_t v) {
    if (v > *m)
        *m = v;
}

/* Walks a list from (c, h, w), as mdm_vae_run will, recording sizes. */
static void plan(const mdm_vae_stack *s, int c, int h, int w, vae_need *n) {
    need_max(&n->map, (size_t)c * h * w);
    need_max(&n->pair, (size_t)c * h * w);
    for (int i = 0; i < s->n_blocks; i++) {
        const mdm_vae_block *b = &s->blocks[i];
        const size_t in = (size_t)c * h * w;
        const int paired = pairs(b, h, w);
        if (b->op == MDM_VAE_UP) { /* banded: upsampled input rows */
            h *= 2, w *= 2;
            need_max(&n->in_row, (size_t)b->ci * w);
            need_max(&n->out_row, (size_t)b->co * w);
        } else if (b->op == MDM_VAE_DOWN) {
            if (paired) { /* banded: two input rows per output row */
                need_max(&n->in_row, (size_t)b->ci * w);
                need_max(&n->out_row, (size_t)b->co * (w / 2));
                need_max(&n->stage, (size_t)h * w / 2);
            }
            h = (h - 1) / 2 + 1, w = (w - 1) / 2 + 1;
        } else if (b->op == MDM_VAE_RES) { /* banded and in place: both convolutions */
            need_max(&n->in_row, (size_t)b->ci * w);
            need_max(&n->out_row, (size_t)b->co * w);
            need_max(&n->res_row, (size_t)b->co * w);
        }
        if (b->op != MDM_VAE_SILU && b->op != MDM_VAE_GN) {
            need_max(&n->row, (size_t)b->ci * 9);
            c = b->co;
        }
        const size_t out = (size_t)c * h * w;
        need_max(&n->map, out);
        if (paired)
            need_max(&n->pair, in > out ? in : out);
        else if (b->op == MDM_VAE_CONV || b->op == MDM_VAE_DOWN || b->op == MDM_VAE_UP)
            need_max(&n->pair, in + out);
    }
}

/* Output rows per band: as many as keep the input band (with its two halo
 * rows) within a quarter of the largest map, at least one and at most
 * MAX_BAND_ROWS.  Small images get thin bands (memory is what matters
 * there); the cap keeps the three band buffers of a large image small (a
 * band's fixed cost, decoding the weights and two halo rows, is already
 * small against 8 rows of work: 8-row bands decode the S preset within a few
 * percent of 16-row ones and save 2 MiB). */
enum { MAX_BAND_ROWS = 8 };
static int band_rows_of(const vae_need *n) {
    if (n->in_row == 0)
        return 1;
    size_t rows = n->map / 4 / n->in_row;
    if (rows > MAX_BAND_ROWS + 2)
        rows = MAX_BAND_ROWS + 2;
    return rows > 3 ? (int)(rows - 2) : 1;
}

void mdm_vae_work_carve(mdm_arena *a, const mdm_model *m, mdm_vae_work *w) {
    const mdm_hparams *hp = &m->hp;
    vae_need n = {0, 0, 0, 0, 0, 0, 1};
    plan(&m->vae_enc, hp->image_channels, hp->image_size, hp->image_size, &n);
    plan(&m->vae_dec, hp->latent_channels, hp->latent_size, hp->latent_size, &n);
    w->band_rows = band_rows_of(&n);
    const size_t band_h = (size_t)w->band_rows + 2;
    size_t band_in = n.in_row ? band_h * n.in_row : 1;
    need_max(&band_in, n.stage);
    w->maps = mdm_arena_floats(a, n.pair);
    w->band_in = mdm_arena_floats(a, band_in);
    w->band_out = mdm_arena_floats(a, n.out_row ? band_h * n.out_row : 1);
    w->band_h = mdm_arena_floats(a, n.res_row ? band_h * n.res_row : 1);
    w->carry = mdm_arena_floats(a, n.res_row ? 2 * n.res_row : 1);
    w->row = mdm_arena_floats(a, n.row);
    w->maps_floats = n.pair;
    w->band_in_floats = band_in;
    w->band_out_floats = n.out_row ? band_h * n.out_row : 1;
    w->band_h_floats = n.res_row ? band_h * n.res_row : 1;
    w->ex = NULL;
    w->progress = NULL;
}

/* ---- bands --------------------------------------------------------------- */

/* The current map, at one end of the map buffer, and its shape. */
typedef struct {
    float *cur;
    int at_end; /* cur ends where the buffer ends (else it starts at its start) */
    int c, h, w;
} vae_state;

/* Where a block's output of n floats goes: the other end of the buffer. */
static float *next_map(const mdm_vae_work *wk, const vae_state *st, size_t n) {
    return st->at_end ? wk->maps : wk->maps + wk->maps_floats - n;
}

static void become(vae_state *st, float *next, int c, int h, int w) {
    st->cur = next;
    st->at_end = !st->at_end;
    st->c = c, st->h = h, st->w = w;
}

/* Where the rows of a map are: row y of channel ch starts at
 * base + (ch / g) plane + (ch % g) sub + y row.  Planar [c][h][w]: g = 1;
 * paired (see pairs()): g = 2. */
typedef struct {
    float *base;
    int g;
    size_t plane, sub, row;
} map_view;

static map_view planar(float *m, int h, int w) {
    map_view v = {m, 1, (size_t)h * w, 0, (size_t)w};
    return v;
}

/* The small map of a paired block inside the large map at big [.][H][W]
 * (H = 2h, W = 2w for a small map of h x w), from row lead of each plane. */
static map_view paired(float *big, int H, int W, int lead) {
    map_view v = {big + (size_t)lead * W, 2, (size_t)H * W, (size_t)W / 2, (size_t)W};
    return v;
}

static float *row_of(const map_view *v, int ch, int y) {
    return v->base + (size_t)(ch / v->g) * v->plane + (size_t)(ch % v->g) * v->sub +
           (size_t)y * v->row;
}

/* How a band's input rows are made from a source map. */
enum { BAND_COPY, BAND_SILU, BAND_UP };

/* Rows [y0, y1) of the (upsampled when how == BAND_UP) source of c
 * channels, sw wide, into band [c][y1 - y0][w], w being the band's width. */
static void fill_band(const mdm_exec *ex, float *band, const map_view *src, int c, int sw, int y0,
                      int y1, int how) {
    const int hb = y1 - y0;
    for (int ch = 0; ch < c; ch++) {
        for (int y = y0; y < y1; y++) {
            float *dst = band + ((size_t)ch * hb + (y - y0)) * (how == BAND_UP ? 2 * sw : sw);
            if (how == BAND_UP) {
                const float *sr = row_of(src, ch, y / 2);
                for (int x = 0; x < 2 * sw; x++)
                    dst[x] = sr[x / 2];
            } else {
                memcpy(dst, row_of(src, ch, y), (size_t)sw * sizeof(float));
            }
        }
    }
    if (how == BAND_SILU)
        mdm_op_silu(ex, band, (size_t)c * hb * sw);
}

/* Rows [r0, r1) of every channel of band [c][hb][w], from band row b0, to
 * the map dst (copied, or added when add is set). */
static void band_to_map(const map_view *dst, const float *band, int c, int hb, int w, int b0,
                        int r0, int r1, int add) {
    for (int o = 0; o < c; o++)
        for (int r = r0; r < r1; r++) {
            const float *from = band + ((size_t)o * hb + (b0 + r - r0)) * w;
            float *to = row_of(dst, o, r);
            if (add) {
                for (int i = 0; i < w; i++)
                    to[i] += from[i];
            } else {
                memcpy(to, from, (size_t)w * sizeof(float));
            }
        }
}

/* A 3x3, stride-1 convolution of a whole map, in bands: the input band is
 * made from src by `how`; output rows go to dst (copied, or added when add
 * is set).  h, w: the convolution's size (the upsampled size for BAND_UP).
 * Each band is read whole before its output is stored. */
static void conv_banded(const mdm_vae_work *wk, const mdm_tensor *wt, const float *bias, int ci,
                        int co, int h, int w, const map_view *src, int how, const map_view *dst,
                        int add) {
    const int sw = how == BAND_UP ? w / 2 : w;
    for (int r0 = 0; r0 < h; r0 += wk->band_rows) {
        const int r1 = r0 + wk->band_rows < h ? r0 + wk->band_rows : h;
        const int y0 = r0 > 0 ? r0 - 1 : 0, y1 = r1 < h ? r1 + 1 : h, hb = y1 - y0;
        fill_band(wk->ex, wk->band_in, src, ci, sw, y0, y1, how);
        mdm_op_conv2d_3x3_rows(wk->ex, wk->band_out, wk->band_in, wt, bias, ci, co, hb, w, 1,
                               wk->row, r0 - y0, r1 - y0);
        band_to_map(dst, wk->band_out, co, hb, w, r0 - y0, r0, r1, add);
    }
}

/* ---- blocks -------------------------------------------------------------- */

static void conv(const mdm_vae_work *wk, vae_state *st, const mdm_vae_block *b, int stride) {
    const int h = (st->h - 1) / stride + 1, w = (st->w - 1) / stride + 1;
    float *next = next_map(wk, st, (size_t)b->co * h * w);
    mdm_op_conv2d_3x3(wk->ex, next, st->cur, &b->w, b->b.data, b->ci, b->co, st->h, st->w,
                      stride, wk->row);
    become(st, next, b->co, h, w);
}

static size_t floats_of(int c, int h, int w) { return (size_t)c * h * w; }

/* Planar map x [c][h][w] -> the paired small map of an up block's output
 * of c/2 x 2h x 2w at the buffer's start.  Channels last to first: channel
 * ch goes to rows [h, 2h) of plane ch/2, past where channels 0..ch lie. */
static void to_pairs(const mdm_vae_work *wk, const float *x, int c, int h, int w) {
    float *maps = wk->maps;
    if (x != maps) /* to the start first (it may overlap where it is) */
        memmove(maps, x, floats_of(c, h, w) * sizeof(float));
    const map_view v = paired(maps, 2 * h, 2 * w, h);
    for (int ch = c - 1; ch >= 0; ch--)
        for (int y = h - 1; y >= 0; y--)
            memmove(row_of(&v, ch, y), maps + ((size_t)ch * h + y) * w, (size_t)w * sizeof(float));
}

/* Nearest x2, then 3x3: the upsampled map exists one band at a time.  When
 * input and output do not fit side by side, the input is paired inside the
 * output's space: band [r0, r1) stores output rows [r0, r1), which held
 * input rows below r1 - h, and later bands read input rows from
 * (r1 - 1) / 2 on (r1 <= 2h - 2 for any band but the last). */
static void up(const mdm_vae_work *wk, vae_state *st, const mdm_vae_block *b) {
    const int h = 2 * st->h, w = 2 * st->w;
    const size_t in = floats_of(st->c, st->h, st->w), out = floats_of(b->co, h, w);
    if (in + out <= wk->maps_floats) {
        float *next = next_map(wk, st, out);
        const map_view src = planar(st->cur, st->h, st->w), dst = planar(next, h, w);
        conv_banded(wk, &b->w, b->b.data, b->ci, b->co, h, w, &src, BAND_UP, &dst, 0);
        become(st, next, b->co, h, w);
        return;
    }
    to_pairs(wk, st->cur, st->c, st->h, st->w);
    const map_view src = paired(wk->maps, h, w, st->h), dst = planar(wk->maps, h, w);
    conv_banded(wk, &b->w, b->b.data, b->ci, b->co, h, w, &src, BAND_UP, &dst, 0);
    st->cur = wk->maps, st->at_end = 0;
    st->c = b->co, st->h = h, st->w = w;
}

/* The paired output of a down block (c channels of h x w inside the input's
 * planes at big) -> planar [c][h][w] at the buffer's start.  Channels first
 * to last: channel ch's rows go below where channels ch + 1.. lie, except
 * for channels 0 and 1, which share their place with their target; they
 * are staged in band_in first. */
static void from_pairs(const mdm_vae_work *wk, float *big, int c, int h, int w) {
    float *maps = wk->maps, *stage = wk->band_in;
    const map_view v = paired(big, 2 * h, 2 * w, 0), staged = paired(stage, 2 * h, 2 * w, 0);
    memcpy(stage, big, (size_t)h * 2 * w * sizeof(float));
    for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < h; y++)
            memmove(maps + ((size_t)ch * h + y) * w, row_of(ch < 2 ? &staged : &v, ch, y),
                    (size_t)w * sizeof(float));
}

/* A 3x3, stride-2 convolution whose output pairs with its input, in bands
 * of output rows [r0, r1): the band's input rows [2 r0 - 2, 2 r1) (the
 * first only aligns the stride, its output row is not made) are read
 * whole, then output rows [r0, r1) are stored in input rows [r0, r1),
 * which later bands (from input row 2 r1 - 2 on) do not read. */
static void down_paired(const mdm_vae_work *wk, vae_state *st, const mdm_vae_block *b) {
    const int H = st->h, W = st->w, h = H / 2, w = W / 2;
    const int rows = wk->band_rows / 2 > 0 ? wk->band_rows / 2 : 1;
    const map_view src = planar(st->cur, H, W), dst = paired(st->cur, H, W, 0);
    for (int r0 = 0; r0 < h; r0 += rows) {
        const int r1 = r0 + rows < h ? r0 + rows : h;
        const int y0 = r0 > 0 ? 2 * r0 - 2 : 0, y1 = 2 * r1, hb = y1 - y0;
        const int b0 = r0 > 0 ? 1 : 0; /* band output row of r0 */
        fill_band(wk->ex, wk->band_in, &src, b->ci, W, y0, y1, BAND_COPY);
        mdm_op_conv2d_3x3_rows(wk->ex, wk->band_out, wk->band_in, &b->w, b->b.data, b->ci, b->co,
                               hb, W, 2, wk->row, b0, b0 + r1 - r0);
        band_to_map(&dst, wk->band_out, b->co, (hb - 1) / 2 + 1, w, b0, r0, r1, 0);
    }
    from_pairs(wk, st->cur, b->co, h, w);
    st->cur = wk->maps, st->at_end = 0;
    st->c = b->co, st->h = h, st->w = w;
}

static void down(const mdm_vae_work *wk, vae_state *st, const mdm_vae_block *b) {
    const size_t in = floats_of(st->c, st->h, st->w);
    const size_t out = floats_of(b->co, (st->h - 1) / 2 + 1, (st->w - 1) / 2 + 1);
    if (in + out <= wk->maps_floats)
        conv(wk, st, b, 2);
    else
        down_paired(wk, st, b);
}

/* Rows [r0, r1) of every channel of src [c][src_rows][w] to dst [c][dst_rows][w]
 * from row d0 on. */
static void copy_rows(float *dst, int dst_rows, int d0, const float *src, int src_rows, int r0,
                      int r1, int c, int w) {
    for (int ch = 0; ch < c; ch++)
        memcpy(dst + ((size_t)ch * dst_rows + d0) * w, src + ((size_t)ch * src_rows + r0) * w,
               (size_t)(r1 - r0) * w * sizeof(float));
}

/* x + conv2(SiLU(conv1(SiLU(x)))), in place, band by band.  For output rows
 * [r0, r1), conv2 reads rows [r0 - 1, r1 + 1) of the inner map
 * h = SiLU(conv1(SiLU(x))).  Rows r0 - 1 and r0 of h were made by the band
 * before (carried); the rest comes from x rows that no band has written
 * yet (those from r0 on), so x can take each band's sum at once. */
static void res(const mdm_vae_work *wk, vae_state *st, const mdm_vae_block *b) {
    const int c = b->co, h = st->h, w = st->w;
    const map_view x = planar(st->cur, h, w);
    for (int r0 = 0; r0 < h; r0 += wk->band_rows) {
        const int r1 = r0 + wk->band_rows < h ? r0 + wk->band_rows : h;
        const int a = r0 > 0 ? r0 - 1 : 0, e = r1 < h ? r1 + 1 : h, hb = e - a;
        const int s0 = r0 > 0 ? r0 + 1 : 0; /* rows of h made here: [s0, e) */
        if (s0 > a)
            copy_rows(wk->band_h, hb, 0, wk->carry, 2, 0, s0 - a, c, w);
        if (s0 < e) {
            const int y0 = s0 - 1 > 0 ? s0 - 1 : 0, y1 = e < h ? e + 1 : h, ib = y1 - y0;
            fill_band(wk->ex, wk->band_in, &x, b->ci, w, y0, y1, BAND_SILU);
            mdm_op_conv2d_3x3_rows(wk->ex, wk->band_out, wk->band_in, &b->w, b->b.data, b->ci, c,
                                   ib, w, 1, wk->row, s0 - y0, e - y0);
            for (int ch = 0; ch < c; ch++)
                mdm_op_silu(wk->ex, wk->band_out + ((size_t)ch * ib + (s0 - y0)) * w,
                            (size_t)(e - s0) * w);
            copy_rows(wk->band_h, hb, s0 - a, wk->band_out, ib, s0 - y0, e - y0, c, w);
        }
        if (r1 < h) /* h rows r1 - 1 and r1, for the next band */
            copy_rows(wk->carry, 2, 0, wk->band_h, hb, r1 - 1 - a, r1 + 1 - a, c, w);
        mdm_op_conv2d_3x3_rows(wk->ex, wk->band_out, wk->band_h, &b->w2, b->b2.data, c, c, hb, w,
                               1, wk->row, r0 - a, r1 - a);
        band_to_map(&x, wk->band_out, c, hb, w, r0 - a, r0, r1, 1);
    }
}

/* Whether block b takes the current channel count and its maps and bands
 * fit the work's. */
static int chains(const vae_state *st, const mdm_vae_block *b, const mdm_vae_work *wk) {
    int h = st->h, w = st->w;
    const size_t band_h = (size_t)wk->band_rows + 2;
    if (b->op == MDM_VAE_SILU)
        return 1;
    if (b->ci != st->c || (b->op == MDM_VAE_GN && (b->groups < 1 || b->ci % b->groups)))
        return 0;
    if (b->op == MDM_VAE_UP)
        h *= 2, w *= 2;
    else if (b->op == MDM_VAE_DOWN)
        h = (h - 1) / 2 + 1, w = (w - 1) / 2 + 1;
    if (b->op == MDM_VAE_UP || b->op == MDM_VAE_RES) {
        if (band_h * b->ci * w > wk->band_in_floats || band_h * b->co * w > wk->band_out_floats)
            return 0;
    }
    if (b->op == MDM_VAE_RES && (b->co != b->ci || band_h * b->co * w > wk->band_h_floats))
        return 0;
    const size_t in = (size_t)b->ci * st->h * st->w, out = (size_t)b->co * h * w;
    if (b->op == MDM_VAE_RES || b->op == MDM_VAE_GN)
        return in <= wk->maps_floats;
    if (in + out <= wk->maps_floats)
        return 1;
    if (!pairs(b, st->h, st->w) || (in > out ? in : out) > wk->maps_floats)
        return 0;
    /* a paired down block: bands of two input rows per output row, and the stage */
    return b->op == MDM_VAE_UP ||
           (band_h * b->ci * st->w <= wk->band_in_floats &&
            band_h * b->co * w <= wk->band_out_floats &&
            (size_t)st->h * st->w / 2 <= wk->band_in_floats);
}

mdm_status mdm_vae_run(const mdm_vae_stack *s, float gn_eps, int *c, int *h, int *w_,
                       mdm_vae_work *w, float **out) {
    vae_state st = {w->maps, 0, *c, *h, *w_};
    for (int i = 0; i < s->n_blocks; i++) {
        const mdm_vae_block *b = &s->blocks[i];
        if (!chains(&st, b, w))
            return MDM_ERR_INTERNAL;
        switch (b->op) {
        case MDM_VAE_CONV: conv(w, &st, b, 1); break;
        case MDM_VAE_DOWN: down(w, &st, b); break;
        case MDM_VAE_UP: up(w, &st, b); break;
        case MDM_VAE_RES: res(w, &st, b); break;
        case MDM_VAE_GN:
            mdm_op_groupnorm(w->ex, st.cur, st.cur, b->w.data, b->b.data, st.c, st.h * st.w,
                             b->groups, gn_eps);
            break;
        case MDM_VAE_SILU: mdm_op_silu(w->ex, st.cur, (size_t)st.c * st.h * st.w); break;
        }
        if (mdm_progress_report(w->progress, i + 1, s->n_blocks) != MDM_OK)
            return MDM_ERR_CANCELLED;
    }
    *c = st.c, *h = st.h, *w_ = st.w;
    *out = st.cur;
    return MDM_OK;
}
