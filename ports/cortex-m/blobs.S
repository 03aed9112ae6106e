/* The model file and the caption's input image, embedded as they are on
 * disk at build time (FW_MODEL_PATH, FW_IMAGE_PATH: quoted paths). */
    .section .blob.model, "a"
    .balign 32                  /* the loader wants 16-byte-aligned tensor data */
    .global fw_model_start, fw_model_end
fw_model_start:
    .incbin FW_MODEL_PATH
fw_model_end:

    .section .blob.image, "a"
    .balign 4
    .global fw_image_start, fw_image_end
fw_image_start:
    .incbin FW_IMAGE_PATH
fw_image_end:
