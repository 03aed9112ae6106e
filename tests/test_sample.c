/* Samplers: PCG32 streams, flow steps and SEDD text steps against the golden
 * vectors of tools/reference/golden.py, plus hand cases for the parts the
 * golden file does not pin down (Heun's call pattern, loops, frozen tokens).
 * Float error: max|a - b| / max(1e-6, max|b|) over the tensor, <= 1e-5;
 * integer outputs (u32 draws, tokens) must be equal. */
#include "check.h"
#include "golden_io.h"
#include "rel_err.h"
#include "sample/flow.h"
#include "sample/pcg32.h"
#include "sample/sedd.h"
#include <math.h>
#include <string.h>

#define GOLDEN "tests/golden/random/golden.safetensors"
#define GOLDEN_SEED 5 /* golden.py --seed default: text.gumbel is PCG32(5, 2) */
#define TOL 1e-5

static golden_file gf;
static double worst_golden;

static void note(double e) { worst_golden = fmax(worst_golden, e); }

/* ---- PCG32 ------------------------------------------------------------------------------ */

static void golden_pcg32(void) {
    size_t n;
    int64_t *u = golden_int(&gf, "pcg32.u32_42_54", &n);
    CHECK(u && n == 8);
    mdm_pcg32 r;
    mdm_pcg32_seed(&r, 42, 54);
    for (size_t i = 0; u && i < n; i++) {
        uint32_t v = mdm_pcg32_next(&r);
        CHECKF(v == (uint32_t)u[i], "u32[%zu] = %u, want %lld", i, v, (long long)u[i]);
    }
    free(u);
    /* pcg32_random_r's published demo: seed 42, stream 54 starts 0xa15c02b7. */
    mdm_pcg32_seed(&r, 42, 54);
    CHECK(mdm_pcg32_next(&r) == 0xa15c02b7u);

    float got[9];
    float *want = golden_f32(&gf, "pcg32.normals_7_1", &n);
    CHECK(want && n == 9);
    if (want) {
        mdm_pcg32_seed(&r, 7, 1);
        mdm_pcg32_normals(&r, got, 9);
        note(rel_err(got, want, 9));
        CHECKF(rel_err(got, want, 9) <= TOL, "normals rel err %g", rel_err(got, want, 9));
        float noise[9];
        mdm_flow_initial_noise(noise, 9, 7); /* stream 1 is the image-noise stream */
        CHECK(memcmp(noise, got, sizeof got) == 0);
    }
    free(want);
    want = golden_f32(&gf, "pcg32.gumbels_7_2", &n);
    CHECK(want && n == 5);
    if (want) {
        mdm_pcg32_seed(&r, 7, 2);
        mdm_pcg32_gumbels(&r, got, 5);
        note(rel_err(got, want, 5));
        CHECKF(rel_err(got, want, 5) <= TOL, "gumbels rel err %g", rel_err(got, want, 5));
    }
    free(want);
}

static void pcg32_pairs(void) {
    /* An odd count consumes a whole pair: 9 normals advance 10 uniforms. */
    mdm_pcg32 a, b;
    float tmp[10];
    mdm_pcg32_seed(&a, 3, 1);
    mdm_pcg32_seed(&b, 3, 1);
    mdm_pcg32_normals(&a, tmp, 9);
    for (int i = 0; i < 10; i++)
        mdm_pcg32_next(&b);
    CHECK(a.state == b.state);
    /* and the first 9 of 10 agree with 9 */
    float ten[10];
    mdm_pcg32_seed(&a, 3, 1);
    mdm_pcg32_normals(&a, ten, 10);
    CHECK(memcmp(ten, tmp, 9 * sizeof *tmp) == 0);
    /* uniforms are 24-bit and in [0, 1); Gumbels are finite */
    mdm_pcg32_seed(&a, 0, 0);
    for (int i = 0; i < 10000; i++) {
        double u = mdm_pcg32_uniform(&a);
        CHECK(u >= 0 && u < 1 && u * 16777216.0 == floor(u * 16777216.0));
    }
    mdm_pcg32_gumbels(&a, tmp, 10);
    for (int i = 0; i < 10; i++)
        CHECK(isfinite(tmp[i]));
}

/* ---- flow ------------------------------------------------------------------------------- */

static void golden_image_grid(void) {
    size_t n;
    float *want = golden_f32(&gf, "step.grid", &n);
    CHECK(want && n == 5);
    double ts[5];
    mdm_flow_grid(ts, 4, 3.0);
    for (size_t i = 0; want && i < n; i++)
        CHECKF((float)ts[i] == want[i], "grid[%zu] = %.9g, want %.9g", i, ts[i], want[i]);
    CHECK(ts[0] == 1.0 && ts[4] == 0.0);
    mdm_flow_grid(ts, 4, 1.0);
    CHECK(ts[1] == 0.75 && ts[2] == 0.5 && ts[3] == 0.25);
    free(want);
}

/* v(x, t) = a x + t, counting calls and recording times. */
typedef struct { float a; int calls; float t[16]; } lin_vel;

static mdm_status lin(void *user, const float *x, float t, float *v) {
    lin_vel *L = user;
    if (L->calls < 16)
        L->t[L->calls] = t;
    L->calls++;
    for (int i = 0; i < 3; i++)
        v[i] = L->a * x[i] + t;
    return MDM_OK;
}

static mdm_status failing(void *user, const float *x, float t, float *v) {
    (void)user, (void)x, (void)t, (void)v;
    return MDM_ERR_CANCELLED;
}

static void flow_steps(void) {
    const float x0[3] = {1.0f, -2.0f, 0.5f};
    float x[3], v[3], scr[6];
    lin_vel L = {.a = 0.5f};
    /* Euler */
    memcpy(x, x0, sizeof x);
    lin(&L, x, 0.75f, v);
    mdm_flow_euler_step(x, v, 3, 0.75, 0.5);
    for (int i = 0; i < 3; i++)
        CHECK(fabs(x[i] - (x0[i] - 0.25 * (0.5 * x0[i] + 0.75))) < 1e-6);
    /* Heun: predictor, second velocity at t_next, average */
    memcpy(x, x0, sizeof x);
    L.calls = 0;
    lin(&L, x, 0.75f, v);
    CHECK(mdm_flow_heun_step(x, v, 3, 0.75, 0.5, lin, &L, scr) == MDM_OK);
    CHECK(L.calls == 2 && L.t[1] == 0.5f);
    for (int i = 0; i < 3; i++) {
        double v1 = 0.5 * x0[i] + 0.75, xe = x0[i] - 0.25 * v1, v2 = 0.5 * xe + 0.5;
        CHECK(fabs(x[i] - (x0[i] - 0.125 * (v1 + v2))) < 1e-6);
    }
    /* Heun's last step is Euler: no second call */
    memcpy(x, x0, sizeof x);
    L.calls = 0;
    CHECK(mdm_flow_heun_step(x, v, 3, 0.25, 0.0, lin, &L, scr) == MDM_OK);
    CHECK(L.calls == 0);
    for (int i = 0; i < 3; i++)
        CHECK(x[i] == x0[i] - 0.25f * v[i]);
    /* errors from the callback come back */
    CHECK(mdm_flow_heun_step(x, v, 3, 0.5, 0.25, failing, NULL, scr) == MDM_ERR_CANCELLED);
    /* guidance, in place on either input */
    float vc[3] = {1, 2, 3}, vu[3] = {0.5f, -1, 3};
    mdm_flow_guide(vu, vc, vu, 3, 3.0f);
    CHECK(vu[0] == 2.0f && vu[1] == 8.0f && vu[2] == 3.0f);
}

static void flow_loop(void) {
    float x[3] = {1, 2, 3}, y[3] = {1, 2, 3}, scr[9], v[3];
    double grid[5], g2[5];
    lin_vel L = {.a = -1.0f}, M = {.a = -1.0f};
    /* Heun over 4 steps: 2 calls per step, 1 on the last */
    CHECK(mdm_flow_sample(x, 3, 4, 2.0, 1, lin, &L, grid, scr) == MDM_OK);
    CHECK(L.calls == 7);
    /* equals the steps done by hand */
    mdm_flow_grid(g2, 4, 2.0);
    for (int i = 0; i < 4; i++) {
        lin(&M, y, (float)g2[i], v);
        mdm_flow_heun_step(y, v, 3, g2[i], g2[i + 1], lin, &M, scr + 3);
    }
    CHECK(memcmp(x, y, sizeof x) == 0);
    L.calls = 0;
    CHECK(mdm_flow_sample(x, 3, 4, 1.0, 0, lin, &L, grid, scr) == MDM_OK);
    CHECK(L.calls == 4 && L.t[0] == 1.0f && L.t[3] == 0.25f);
    CHECK(mdm_flow_sample(x, 3, 4, 1.0, 1, failing, NULL, grid, scr) == MDM_ERR_CANCELLED);
}

/* ---- SEDD ------------------------------------------------------------------------------- */

static void golden_log_score(void) {
    size_t nr, nt, ntt;
    float *raw = golden_f32(&gf, "sedd.raw", &nr), *t = golden_f32(&gf, "sedd.t", &nt),
          *want = golden_f32(&gf, "sedd.s", NULL);
    int64_t *tok = golden_int(&gf, "sedd.tokens", &ntt);
    CHECK(raw && t && want && tok && nt == 3);
    if (raw && t && want && tok) {
        const int Lt = (int)(ntt / nt), V1 = (int)(nr / ntt), V = V1 - 1;
        int32_t *tk = malloc(ntt * sizeof *tk);
        for (size_t i = 0; i < ntt; i++)
            tk[i] = (int32_t)tok[i];
        for (size_t b = 0; b < nt; b++) {
            float *s = raw + b * Lt * V1;
            mdm_sedd_parameterise(s, tk + b * Lt, t[b], Lt, V);
            double e = rel_err(s, want + b * Lt * V1, (size_t)Lt * V1);
            note(e);
            CHECKF(e <= TOL, "t=%g: rel err %g", t[b], e);
            for (int i = 0; i < Lt; i++)
                CHECK(s[i * V1 + tk[b * Lt + i]] == 0.0f);
        }
        free(tk);
    }
    free(raw), free(t), free(want), free(tok);
}

static void sedd_schedule(void) {
    double ts[9];
    mdm_sedd_grid(ts, 8);
    CHECK(ts[0] == 1.0 && fabs(ts[8] - 1e-5) < 1e-15);
    for (int i = 0; i < 8; i++)
        CHECK(ts[i] > ts[i + 1]);
    CHECK(mdm_sedd_sigma_bar(0.0) == 0.0);
    CHECK(fabs(mdm_sedd_sigma_bar(1.0) - log(1000.0)) < 1e-12);
    CHECK(fabs(mdm_sedd_sigma_bar(0.3) + log1p(-0.999 * 0.3)) < 1e-15);
}

static void golden_text_steps(void) {
    size_t ns, ntok, ng;
    float *s = golden_f32(&gf, "fwd.s", &ns), *g = golden_f32(&gf, "text.gumbel", &ng),
          *ds = golden_f32(&gf, "text.dsigma", NULL);
    int64_t *tok = golden_int(&gf, "fwd.tokens", &ntok), *tt = golden_int(&gf, "text.tokens", NULL), *we = golden_int(&gf, "text.euler", NULL),
            *wa = golden_int(&gf, "text.analytic", NULL), *wf = golden_int(&gf, "text.final", NULL);
    CHECK(s && g && ds && tok && tt && we && wa && wf);
    if (s && g && ds && tok && tt && we && wa && wf) {
        const int Lt = (int)(ntok / 2), V1 = (int)(ns / ntok), V = V1 - 1;
        CHECK(ng == (size_t)Lt * V1);
        const float *s1 = s + (size_t)Lt * V1;
        unsigned char frozen[64] = {1, 1, 1};
        int32_t t0[64], t[64];
        CHECK(Lt <= 64);
        float *mine = malloc(ng * sizeof *mine), *scr = malloc((size_t)V1 * sizeof *scr);
        /* text.tokens: fwd.tokens[1] with half the free positions (and one
         * frozen one) masked; the scores stay fwd.s[1] */
        for (int i = 0; i < Lt; i++)
            t0[i] = (int32_t)tt[i];
        /* the Gumbel stream of the step */
        mdm_pcg32 r;
        mdm_pcg32_seed(&r, GOLDEN_SEED, MDM_STREAM_TEXT);
        mdm_sedd_draw_gumbel(&r, mine, Lt, V);
        double e = rel_err(mine, g, ng);
        note(e);
        CHECKF(e <= TOL, "gumbel rel err %g", e);
        /* dsigma of 0.6 -> 0.5 */
        double d = mdm_sedd_dsigma(0.6, 0.5);
        CHECKF((float)d == ds[0], "dsigma %.9g, want %.9g", d, ds[0]);
        note(fabs(d - ds[0]) / ds[0]);
        const int64_t *want[2] = {we, wa};
        for (int analytic = 0; analytic < 2; analytic++) {
            memcpy(t, t0, sizeof t);
            mdm_sedd_step(t, s1, g, frozen, Lt, V, d, analytic, scr);
            for (int i = 0; i < Lt; i++)
                CHECKF(t[i] == want[analytic][i], "%s: token %d = %d, want %lld",
                       analytic ? "analytic" : "euler", i, t[i], (long long)want[analytic][i]);
            /* with our own Gumbels too: the same draws, so the same tokens */
            memcpy(t, t0, sizeof t);
            mdm_sedd_step(t, s1, mine, frozen, Lt, V, d, analytic, scr);
            for (int i = 0; i < Lt; i++)
                CHECK(t[i] == want[analytic][i]);
        }
        memcpy(t, t0, sizeof t);
        mdm_sedd_final(t, s1, frozen, Lt, V);
        for (int i = 0; i < Lt; i++)
            CHECKF(t[i] == wf[i], "final: token %d = %d, want %lld", i, t[i], (long long)wf[i]);
        /* Also mask every position and check the moves against the formula in
         * double, on the same scores and Gumbels. */
        for (int analytic = 0; analytic < 2; analytic++) {
            for (int i = 0; i < Lt; i++)
                t[i] = V;
            mdm_sedd_step(t, s1, g, frozen, Lt, V, d, analytic, scr);
            const double rate = analytic ? expm1(d) : d;
            int moved = 0;
            for (int i = 0; i < Lt; i++) {
                const float *si = s1 + (size_t)i * V1, *gi = g + (size_t)i * V1;
                double sum = 0, best = -INFINITY;
                int arg = V;
                for (int y = 0; y < V; y++)
                    sum += rate * exp(si[y]);
                for (int y = 0; y <= V; y++) {
                    double lp = y < V ? log(rate) + si[y] : log(fmax(0.0, 1.0 - sum));
                    if (lp + gi[y] > best)
                        best = lp + gi[y], arg = y;
                }
                if (i < 3)
                    arg = V; /* frozen: stays */
                moved += arg != V;
                CHECKF(t[i] == arg, "%s all-masked: token %d = %d, want %d",
                       analytic ? "analytic" : "euler", i, t[i], arg);
            }
            CHECKF(moved > 0, "no position moved: the case is too weak");
        }
        free(mine), free(scr);
    }
    free(s), free(g), free(ds), free(tok), free(tt), free(we), free(wa), free(wf);
}

static void jump_probs_hand(void) {
    /* V = 3, s = log(0.1), log(0.2), log(0.3): Euler rate 1 gives 0.1 0.2 0.3, stay 0.4. */
    float s[4] = {logf(0.1f), logf(0.2f), logf(0.3f), 5.0f}, p[4];
    mdm_sedd_jump_probs(p, s, 3, 1.0, 0);
    CHECK(fabsf(p[0] - 0.1f) < 1e-7f && fabsf(p[2] - 0.3f) < 1e-7f && fabsf(p[3] - 0.4f) < 1e-6f);
    mdm_sedd_jump_probs(p, s, 3, 1.0, 1); /* analytic: rate e - 1 > 1 -> stay clamps to 0 */
    CHECK(fabsf(p[1] - 0.2f * (float)expm1(1.0)) < 1e-6f && p[3] == 0.0f);
    /* stay probability 0 is never chosen even with a huge Gumbel */
    int32_t tok = 3;
    float g[4] = {0, 0, 0, 100}, scr[4];
    mdm_sedd_step(&tok, s, g, NULL, 1, 3, 1.0, 1, scr);
    CHECK(tok == 2);
    /* non-masked and frozen positions never move */
    int32_t toks[2] = {1, 3};
    unsigned char fr[2] = {0, 1};
    float s2[8] = {0, 9, 0, 0, 0, 9, 0, 0}, g2[8] = {0};
    mdm_sedd_step(toks, s2, g2, fr, 2, 3, 0.5, 1, scr);
    mdm_sedd_final(toks, s2, fr, 2, 3);
    CHECK(toks[0] == 1 && toks[1] == 3);
}

/* Fake network: scores favour token (position + k) mod V, and MASK a lot. */
typedef struct { int V, Lt, calls; float last_t; } fake_net;

static mdm_status fake_score(void *user, const int32_t *tokens, float t, float *s) {
    fake_net *f = user;
    f->calls++;
    f->last_t = t;
    for (int i = 0; i < f->Lt; i++)
        for (int y = 0; y <= f->V; y++)
            s[i * (f->V + 1) + y] = y == (i + f->calls) % f->V ? 0.0f : -3.0f;
    mdm_sedd_parameterise(s, tokens, t, f->Lt, f->V);
    return MDM_OK;
}

static void sedd_loop(void) {
    enum { Lt = 6, V = 5, STEPS = 4 };
    int32_t a[Lt] = {4, 1, 0, 0, 0, 0}, b[Lt];
    unsigned char frozen[Lt] = {1, 1};
    double grid[STEPS + 1];
    float scr[2 * Lt * (V + 1) + V + 1];
    fake_net f = {V, Lt, 0, 0};
    CHECK(mdm_sedd_sample(a, frozen, Lt, V, STEPS, MDM_TEXT_ANALYTIC, 9, fake_score, &f, grid, scr) == MDM_OK);
    CHECK(f.calls == STEPS + 1 && f.last_t == (float)MDM_SEDD_T_MIN);
    CHECK(a[0] == 4 && a[1] == 1);
    for (int i = 0; i < Lt; i++)
        CHECK(a[i] >= 0 && a[i] < V);
    /* by hand, with the same stream */
    fake_net h = {V, Lt, 0, 0};
    float *s = scr, *g = scr + Lt * (V + 1), *p = g + Lt * (V + 1);
    mdm_pcg32 r;
    mdm_pcg32_seed(&r, 9, MDM_STREAM_TEXT);
    int32_t init[Lt] = {4, 1, V, V, V, V};
    memcpy(b, init, sizeof b);
    double ts[STEPS + 1];
    mdm_sedd_grid(ts, STEPS);
    for (int k = 0; k < STEPS; k++) {
        fake_score(&h, b, (float)ts[k], s);
        mdm_sedd_draw_gumbel(&r, g, Lt, V);
        mdm_sedd_step(b, s, g, frozen, Lt, V, mdm_sedd_dsigma(ts[k], ts[k + 1]), 1, p);
    }
    fake_score(&h, b, (float)ts[STEPS], s);
    mdm_sedd_final(b, s, frozen, Lt, V);
    CHECK(memcmp(a, b, sizeof a) == 0);
}

int main(void) {
    if (golden_open(&gf, GOLDEN) == 0) {
        RUN(golden_pcg32);
        RUN(golden_image_grid);
        RUN(golden_log_score);
        RUN(golden_text_steps);
        printf("  max rel err vs golden: %.3g\n", worst_golden);
        golden_close(&gf);
    } else { /* committed with the code: missing or unreadable is a failure */
        printf("FAIL golden_samplers: " GOLDEN " missing or unreadable\n");
        check_failures_total++;
    }
    RUN(pcg32_pairs);
    RUN(flow_steps);
    RUN(flow_loop);
    RUN(sedd_schedule);
    RUN(jump_probs_hand);
    RUN(sedd_loop);
    CHECK_EXIT();
}
