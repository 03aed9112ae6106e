/* Discrete text diffusion (SEDD absorbing/MASK process, spec §3-4), as
 * tools/reference/mdm_ref/samplers.py and denoiser.py.  Tokens are int32 in
 * [0, V]; MASK is V.  Log-scores are rows of V + 1 floats per position,
 * position-major ([Lt][V+1]).  frozen: Lt flags (non-zero = conditioning
 * token, never changed), or NULL for none.  No allocation. */
#ifndef MDM_SAMPLE_SEDD_H
#define MDM_SAMPLE_SEDD_H
#include <stdint.h>
#include "mdm_rt.h"
#include "sample/pcg32.h"

#define MDM_SEDD_EPS 1e-3   /* schedule epsilon */
#define MDM_SEDD_T_MIN 1e-5 /* last text time; also the clamp of the log-score */

/* sigma_bar(t) = -log1p(-(1 - eps) t), in double. */
double mdm_sedd_sigma_bar(double t);

/* ts[0..steps]: uniform from 1 down to T_MIN. */
void mdm_sedd_grid(double *ts, int steps);

/* dsigma of the step t_cur -> t_next: sigma_bar(t_cur) - sigma_bar(t_next). */
double mdm_sedd_dsigma(double t_cur, double t_next);

/* The log-score parameterisation of spec §3, in place on the raw text-head
 * outputs s[Lt][V+1]: subtract log(e^sigma_bar - 1) (expm1 when
 * sigma_bar < 0.5) and log V, with sigma_bar = sigma_bar(max(t_text, 1e-5))
 * in float as the reference, then set the entry of the current token to 0. */
void mdm_sedd_parameterise(float *s, const int32_t *tokens, float t_text, int Lt, int V);

/* Unnormalised next-state probabilities of one masked position, p[V+1]:
 * p_y = rate e^{s_y} for y < V (rate = dsigma, or expm1(dsigma) when
 * analytic), p_V = max(0, 1 - sum p_y). */
void mdm_sedd_jump_probs(float *p, const float *s_row, int V, double dsigma, int analytic);

/* Draws the Lt*(V+1) Gumbels of one step, position-major: every step draws
 * them for every position, so the stream does not depend on the mask. */
void mdm_sedd_draw_gumbel(mdm_pcg32 *rng, float *gumbel, int Lt, int V);

/* One step: each masked, non-frozen position becomes argmax_y log p_y + g_y.
 * s, gumbel: [Lt][V+1]; scratch: V + 1 floats. */
void mdm_sedd_step(int32_t *tokens, const float *s, const float *gumbel,
                   const unsigned char *frozen, int Lt, int V, double dsigma, int analytic,
                   float *scratch);

/* Final step at T_MIN: each masked, non-frozen position becomes argmax of
 * s_y over y < V (the first on ties). */
void mdm_sedd_final(int32_t *tokens, const float *s, const unsigned char *frozen, int Lt, int V);

/* Positions left masked after a confident step to t_next, of n_maskable:
 * floor(n_maskable t_next + 1/2) in double (the share the schedule leaves). */
int mdm_sedd_confident_keep(int n_maskable, double t_next);

/* Confidence-first step (MDM_TEXT_CONFIDENT, deterministic): of the masked,
 * non-frozen positions, all but mdm_sedd_confident_keep(n_maskable, t_next)
 * become their most likely non-MASK piece, the most confident first (the
 * largest probability of that piece, -log sum_y e^{s_y - max} in float
 * (the reference: double); ties: the lower position).  conf: Lt floats. */
void mdm_sedd_confident_step(int32_t *tokens, const float *s, const unsigned char *frozen,
                             int Lt, int V, int n_maskable, double t_next, float *conf);

/* Writes s_out[Lt][V+1] = the parameterised log-scores for tokens at text
 * time t.  A status other than MDM_OK stops the sampler, which returns it. */
typedef mdm_status (*mdm_score_fn)(void *user, const int32_t *tokens, float t, float *s_out);

/* The text_from_mask loop (caption, VQA): non-frozen positions start as
 * MASK, `steps` steps over mdm_sedd_grid with PCG32(seed, MDM_STREAM_TEXT),
 * then the final step at T_MIN.  tokens: in, the frozen ones; out, the text.
 * grid: steps + 1 doubles; scratch: 2 Lt (V+1) + V + 1 floats. */
mdm_status mdm_sedd_sample(int32_t *tokens, const unsigned char *frozen, int Lt, int V, int steps,
                           mdm_text_sampler sampler, uint64_t seed, mdm_score_fn score,
                           void *user, double *grid, float *scratch);
#endif
