/* log(1 + u) / u on u in [0, 1] as a polynomial of degree 8, highest
 * coefficient first: fitted for relative error (3e-8 fitted, 2.4e-7 as
 * evaluated in float by Horner's rule), so log1p(u) = u P(u) keeps a tiny
 * u's relative precision.  Softplus's tail log1p(e^-|x|) on the AVX-512
 * and AVX2 sets, with no divide and no exponent split. */
#ifndef MDM_KERNELS_X86_LOG1P_POLY_H
#define MDM_KERNELS_X86_LOG1P_POLY_H
#define MDM_LOG1P_DEGREE 8
static const float mdm_log1p_poly[MDM_LOG1P_DEGREE + 1] = {
    0.00523251947f, -0.0295042116f, 0.0782236531f, -0.136629865f, 0.191058457f,
    -0.248429269f,  0.333190858f,   -0.499994934f, 0.99999994f};
#endif
