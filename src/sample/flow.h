/* Rectified-flow sampling of image latents (spec §4), as
 * tools/reference/mdm_ref/samplers.py: x runs from noise at t = 1 to data at
 * t = 0 along the predicted velocity.  Plain functions over float arrays; the
 * network is reached only through the velocity callback.  No allocation. */
#ifndef MDM_SAMPLE_FLOW_H
#define MDM_SAMPLE_FLOW_H
#include <stddef.h>
#include <stdint.h>
#include "mdm_rt.h"

/* Writes v_out (as many floats as x) = velocity at (x, t).  Any status other
 * than MDM_OK stops the sampler, which returns it. */
typedef mdm_status (*mdm_velocity_fn)(void *user, const float *x, float t, float *v_out);

/* ts[0..steps]: t_i = 1 - i/steps, shifted t' = s t / (1 + (s - 1) t);
 * ts[steps] = 0.  Kept in double: step sizes are taken as differences of
 * doubles, as the reference does in Python floats. */
void mdm_flow_grid(double *ts, int steps, double shift);

/* x[0..n) = n standard normals from PCG32(seed, MDM_STREAM_IMAGE_NOISE), in
 * canonical latent order (channel, row, col). */
void mdm_flow_initial_noise(float *x, size_t n, uint64_t seed);

/* Classifier-free guidance: v = v_u + g (v_c - v_u).  v may alias either input. */
void mdm_flow_guide(float *v, const float *v_cond, const float *v_uncond, size_t n, float g);

/* x <- x - (t_cur - t_next) v. */
void mdm_flow_euler_step(float *x, const float *v, size_t n, double t_cur, double t_next);

/* Heun: Euler predictor x_e, then x <- x - (t_cur - t_next)/2 (v1 + v(x_e, t_next));
 * when t_next <= 0 the step is Euler (no second call).  v1 = v(x, t_cur).
 * scratch: 2n floats. */
mdm_status mdm_flow_heun_step(float *x, const float *v1, size_t n, double t_cur, double t_next,
                              mdm_velocity_fn vel, void *user, float *scratch);

/* The whole loop, text_to_image's: from x (initial noise, overwritten by the
 * result) over mdm_flow_grid(steps, shift), Euler, or Heun when heun != 0.
 * grid: steps + 1 doubles; scratch: 3n floats. */
mdm_status mdm_flow_sample(float *x, size_t n, int steps, double shift, int heun,
                           mdm_velocity_fn vel, void *user, double *grid, float *scratch);
#endif
