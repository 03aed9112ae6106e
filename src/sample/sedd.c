/* SEDD absorbing-state sampling.  The reference works on float32 tensors
 * with Python-float rates (rounded to float by torch), so the per-token math
 * here is float and only the schedule is double (a few values per step,
 * not per token: no cost worth a difference from the reference). */
#include "sample/sedd.h"
#include <math.h>

double mdm_sedd_sigma_bar(double t) {
    return -log1p(-(1.0 - MDM_SEDD_EPS) * t);
}

void mdm_sedd_grid(double *ts, int steps) {
    for (int i = 0; i <= steps; i++)
        ts[i] = 1.0 - (1.0 - MDM_SEDD_T_MIN) * i / steps;
}

double mdm_sedd_dsigma(double t_cur, double t_next) {
    return mdm_sedd_sigma_bar(t_cur) - mdm_sedd_sigma_bar(t_next);
}

void mdm_sedd_parameterise(float *s, const int32_t *tokens, float t_text, int Lt, int V) {
    const float t = fmaxf(t_text, (float)MDM_SEDD_T_MIN);
    const float sb = -log1pf((float)-(1.0 - MDM_SEDD_EPS) * t);
    /* expm1 keeps precision for small sigma_bar; exp - 1 is the reference's
     * choice above 0.5, kept so results match it bit for bit there. */
    const float esm1 = sb < 0.5f ? expm1f(sb) : expf(sb) - 1.0f;
    const float l1 = logf(esm1), l2 = logf((float)V); /* V < 2^24: exact in float */
    const int V1 = V + 1;
    for (int i = 0; i < Lt; i++) {
        float *row = s + (size_t)i * V1;
        for (int y = 0; y < V1; y++)
            row[y] = row[y] - l1 - l2;
        row[tokens[i]] = 0.0f;
    }
}

void mdm_sedd_jump_probs(float *p, const float *s_row, int V, double dsigma, int analytic) {
    const float rate = (float)(analytic ? expm1(dsigma) : dsigma);
    float sum = 0.0f;
    for (int y = 0; y < V; y++) {
        p[y] = rate * expf(s_row[y]);
        sum += p[y];
    }
    p[V] = fmaxf(1.0f - sum, 0.0f);
}

void mdm_sedd_draw_gumbel(mdm_pcg32 *rng, float *gumbel, int Lt, int V) {
    mdm_pcg32_gumbels(rng, gumbel, (size_t)Lt * (size_t)(V + 1));
}

/* First index of the largest value, as torch.argmax. */
static int argmax_first(const float *v, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best])
            best = i;
    return best;
}

static int moves(const int32_t *tokens, const unsigned char *frozen, int i, int V) {
    return tokens[i] == V && !(frozen && frozen[i]);
}

void mdm_sedd_step(int32_t *tokens, const float *s, const float *gumbel,
                   const unsigned char *frozen, int Lt, int V, double dsigma, int analytic,
                   float *scratch) {
    const int V1 = V + 1;
    for (int i = 0; i < Lt; i++) {
        if (!moves(tokens, frozen, i, V))
            continue;
        const float *g = gumbel + (size_t)i * V1;
        mdm_sedd_jump_probs(scratch, s + (size_t)i * V1, V, dsigma, analytic);
        for (int y = 0; y < V1; y++)
            scratch[y] = logf(scratch[y]) + g[y]; /* log 0 = -inf: never chosen */
        tokens[i] = argmax_first(scratch, V1);
    }
}

void mdm_sedd_final(int32_t *tokens, const float *s, const unsigned char *frozen, int Lt, int V) {
    for (int i = 0; i < Lt; i++)
        if (moves(tokens, frozen, i, V))
            tokens[i] = argmax_first(s + (size_t)i * (V + 1), V);
}

int mdm_sedd_confident_keep(int n_maskable, double t_next) {
    return (int)floor(n_maskable * t_next + 0.5);
}

/* log of the largest probability of a row over the non-MASK pieces, -log sum
 * e^{s_y - max}.  In float (the reference: double, rounded to float): each
 * term is at most 1 and one is exactly 1, so the float sum of V terms is
 * within V ulp of it, and there is no soft-float double on a Cortex-M. */
static float confidence(const float *row, int V) {
    float m = row[0];
    for (int y = 1; y < V; y++)
        m = row[y] > m ? row[y] : m;
    float sum = 0.0f;
    for (int y = 0; y < V; y++)
        sum += expf(row[y] - m);
    return -logf(sum);
}

void mdm_sedd_confident_step(int32_t *tokens, const float *s, const unsigned char *frozen,
                             int Lt, int V, int n_maskable, double t_next, float *conf) {
    const int V1 = V + 1;
    int masked = 0;
    for (int i = 0; i < Lt; i++) {
        conf[i] = 0.0f;
        if (moves(tokens, frozen, i, V)) {
            conf[i] = confidence(s + (size_t)i * V1, V);
            masked++;
        }
    }
    /* the surest first; ties go to the lower position (strict >) */
    for (int n = masked - mdm_sedd_confident_keep(n_maskable, t_next); n > 0; n--) {
        int best = -1;
        for (int i = 0; i < Lt; i++)
            if (moves(tokens, frozen, i, V) && (best < 0 || conf[i] > conf[best]))
                best = i;
        tokens[best] = argmax_first(s + (size_t)best * V1, V);
    }
}

mdm_status mdm_sedd_sample(int32_t *tokens, const unsigned char *frozen, int Lt, int V, int steps,
                           mdm_text_sampler sampler, uint64_t seed, mdm_score_fn score,
                           void *user, double *grid, float *scratch) {
    const size_t n = (size_t)Lt * (size_t)(V + 1);
    float *s = scratch, *g = scratch + n, *p = scratch + 2 * n;
    mdm_pcg32 rng;
    mdm_pcg32_seed(&rng, seed, MDM_STREAM_TEXT);
    int n_maskable = 0;
    for (int i = 0; i < Lt; i++)
        if (!(frozen && frozen[i]))
            tokens[i] = V, n_maskable++;
    mdm_sedd_grid(grid, steps);
    for (int k = 0; k < steps; k++) {
        mdm_status st = score(user, tokens, (float)grid[k], s);
        if (st != MDM_OK)
            return st;
        if (sampler == MDM_TEXT_CONFIDENT) { /* g (unused here) holds the Lt confidences */
            mdm_sedd_confident_step(tokens, s, frozen, Lt, V, n_maskable, grid[k + 1], g);
            continue;
        }
        mdm_sedd_draw_gumbel(&rng, g, Lt, V);
        mdm_sedd_step(tokens, s, g, frozen, Lt, V, mdm_sedd_dsigma(grid[k], grid[k + 1]),
                      sampler == MDM_TEXT_ANALYTIC, p);
    }
    mdm_status st = score(user, tokens, (float)grid[steps], s);
    if (st == MDM_OK)
        mdm_sedd_final(tokens, s, frozen, Lt, V);
    return st;
}
