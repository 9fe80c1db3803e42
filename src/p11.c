/* PKCS#11 through dlopen: the only file that calls a module's functions. */
#include "p11.h"

#include "buf.h"
#include "error.h"
#include "p11uri.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

struct mcr_p11 {
	void *dl;
	CK_FUNCTION_LIST_PTR fn;
	char *module_path;
	char *who;
	bool initialized;
	CK_SESSION_HANDLE session;
	bool has_session, logged_in;
	struct mcr_p11_token token;
};

static const struct {
	CK_RV rv;
	const char *name;
} rv_names[] = {
	{CKR_OK, "CKR_OK"},
	{CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR"},
	{CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED"},
	{CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD"},
	{CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE"},
	{CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID"},
	{CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR"},
	{CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED"},
	{CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID"},
	{CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT"},
	{CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED"},
	{CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID"},
	{CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID"},
	{CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT"},
	{CKR_PIN_LOCKED, "CKR_PIN_LOCKED"},
	{CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED"},
	{CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE"},
	{CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT"},
	{CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN"},
	{CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED"},
	{CKR_DATA_LEN_RANGE, "CKR_DATA_LEN_RANGE"},
	{CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID"},
	{CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL"},
	{CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED"},
};

const char *mcr_p11_rv_name(unsigned long rv)
{
	static char unknown[32];

	for (size_t i = 0; i < sizeof(rv_names) / sizeof(rv_names[0]); i++)
		if (rv_names[i].rv == rv)
			return rv_names[i].name;
	snprintf(unknown, sizeof(unknown), "CKR_0x%lx", rv);
	return unknown;
}

static int fail(const struct mcr_p11 *p11, const char *what, CK_RV rv)
{
	return mcr_error(MCR_ESIGNER, "%s failed for signer '%s' (module '%s'): %s", what, p11->who,
			 p11->module_path, mcr_p11_rv_name(rv));
}

int mcr_p11_open(struct mcr_p11 **out, const char *module_path, const char *who)
{
	CK_C_INITIALIZE_ARGS args = {NULL, NULL, NULL, NULL, CKF_OS_LOCKING_OK, NULL};
	CK_C_GetFunctionList get_list;
	struct mcr_p11 *p11 = calloc(1, sizeof(*p11));
	CK_RV rv;
	int ret = 0;

	*out = NULL;
	if (!p11 || !(p11->module_path = strdup(module_path)) || !(p11->who = strdup(who))) {
		mcr_p11_free(p11);
		return mcr_error(MCR_ESYS, "out of memory");
	}
	if (!(p11->dl = dlopen(module_path, RTLD_NOW | RTLD_LOCAL))) {
		ret = mcr_error(MCR_ESIGNER, "cannot load PKCS#11 module '%s' for signer '%s': %s",
				module_path, who, dlerror());
		goto out;
	}
	*(void **)&get_list = dlsym(p11->dl, "C_GetFunctionList");
	if (!get_list || (rv = get_list(&p11->fn)) != CKR_OK || !p11->fn) {
		ret = mcr_error(MCR_ESIGNER, "'%s' is not a PKCS#11 module (no C_GetFunctionList)",
				module_path);
		goto out;
	}
	rv = p11->fn->C_Initialize(&args);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		ret = fail(p11, "C_Initialize", rv);
		goto out;
	}
	p11->initialized = rv == CKR_OK; /* finalise only what we initialised */
	*out = p11;
	p11 = NULL;
out:
	mcr_p11_free(p11);
	return ret;
}

void mcr_p11_free(struct mcr_p11 *p11)
{
	if (!p11)
		return;
	if (p11->logged_in)
		p11->fn->C_Logout(p11->session);
	if (p11->has_session)
		p11->fn->C_CloseSession(p11->session);
	if (p11->initialized)
		p11->fn->C_Finalize(NULL);
	/*
	 * The module stays mapped: some PKCS#11 modules leave threads or exit
	 * handlers behind that crash once their code is unloaded, and a
	 * short-lived process gains nothing from unloading it.
	 */
	free(p11->module_path);
	free(p11->who);
	free(p11);
}

/* A fixed-width, space-padded PKCS#11 string as a C string. */
static void trim_copy(char *out, const unsigned char *field, size_t width)
{
	size_t n = width;

	while (n && (field[n - 1] == ' ' || field[n - 1] == '\0'))
		n--;
	memcpy(out, field, n);
	out[n] = '\0';
}

static bool token_matches(const struct mcr_p11_token *t, const struct mcr_p11uri *uri)
{
	return (!uri->token || !strcmp(uri->token, t->label)) &&
	       (!uri->manufacturer || !strcmp(uri->manufacturer, t->manufacturer)) &&
	       (!uri->model || !strcmp(uri->model, t->model)) &&
	       (!uri->serial || !strcmp(uri->serial, t->serial));
}

static int list_slots(struct mcr_p11 *p11, CK_SLOT_ID **slots, CK_ULONG *count)
{
	CK_RV rv = p11->fn->C_GetSlotList(CK_TRUE, NULL, count);

	*slots = NULL;
	if (rv != CKR_OK)
		return fail(p11, "C_GetSlotList", rv);
	if (*count == 0)
		return 0;
	if (!(*slots = calloc(*count, sizeof(**slots))))
		return mcr_error(MCR_ESYS, "out of memory");
	if ((rv = p11->fn->C_GetSlotList(CK_TRUE, *slots, count)) != CKR_OK)
		return fail(p11, "C_GetSlotList", rv);
	return 0;
}

int mcr_p11_select_token(struct mcr_p11 *p11, const struct mcr_p11uri *uri)
{
	CK_SLOT_ID *slots = NULL, chosen = 0;
	CK_ULONG count = 0;
	size_t matches = 0;
	CK_RV rv;
	int ret;

	if ((ret = list_slots(p11, &slots, &count)) < 0)
		goto out;
	for (CK_ULONG i = 0; i < count; i++) {
		CK_TOKEN_INFO info;
		struct mcr_p11_token t;

		/* an uninitialised token (SoftHSM keeps one in a free slot) holds no keys */
		if ((uri->has_slot_id && slots[i] != uri->slot_id) ||
		    p11->fn->C_GetTokenInfo(slots[i], &info) != CKR_OK ||
		    !(info.flags & CKF_TOKEN_INITIALIZED))
			continue;
		trim_copy(t.label, info.label, sizeof(info.label));
		trim_copy(t.manufacturer, info.manufacturerID, sizeof(info.manufacturerID));
		trim_copy(t.model, info.model, sizeof(info.model));
		trim_copy(t.serial, info.serialNumber, sizeof(info.serialNumber));
		t.login_required = info.flags & CKF_LOGIN_REQUIRED;
		if (token_matches(&t, uri) && matches++ == 0) {
			chosen = slots[i];
			p11->token = t;
		}
	}
	if (matches != 1) {
		ret = mcr_error(MCR_ESIGNER, matches ? "more than one token in module '%s' matches signer '%s' (name token= or serial=)"
						     : "no token in module '%s' matches signer '%s' (token absent?)",
				p11->module_path, p11->who);
		goto out;
	}
	rv = p11->fn->C_OpenSession(chosen, CKF_SERIAL_SESSION, NULL, NULL, &p11->session);
	if (rv != CKR_OK)
		ret = fail(p11, "C_OpenSession", rv);
	p11->has_session = rv == CKR_OK;
out:
	free(slots);
	return ret;
}

const struct mcr_p11_token *mcr_p11_token(const struct mcr_p11 *p11)
{
	return &p11->token;
}

int mcr_p11_login(struct mcr_p11 *p11, const struct mcr_buf *pin)
{
	CK_RV rv = p11->fn->C_Login(p11->session, CKU_USER, pin->data, pin->len);

	if (rv == CKR_PIN_INCORRECT)
		return mcr_error(MCR_ESIGNER,
				 "wrong PIN for token '%s' of signer '%s' (not retried: each attempt uses up one of the token's tries)",
				 p11->token.label, p11->who);
	if (rv == CKR_PIN_LOCKED)
		return mcr_error(MCR_ESIGNER, "the PIN of token '%s' (signer '%s') is locked",
				 p11->token.label, p11->who);
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		return fail(p11, "C_Login", rv);
	p11->logged_in = rv == CKR_OK;
	return 0;
}

int mcr_p11_find(struct mcr_p11 *p11, unsigned long class, const char *label,
		 const unsigned char *id, size_t id_len, unsigned long *handle, size_t *count)
{
	CK_OBJECT_CLASS cls = class;
	CK_ATTRIBUTE tmpl[3] = {{CKA_CLASS, &cls, sizeof(cls)}};
	CK_OBJECT_HANDLE found[2];
	CK_ULONG n = 1, got = 0;
	CK_RV rv;

	if (label)
		tmpl[n++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)label, strlen(label)};
	if (id)
		tmpl[n++] = (CK_ATTRIBUTE){CKA_ID, (void *)id, id_len};
	if ((rv = p11->fn->C_FindObjectsInit(p11->session, tmpl, n)) != CKR_OK)
		return fail(p11, "C_FindObjectsInit", rv);
	rv = p11->fn->C_FindObjects(p11->session, found, 2, &got);
	p11->fn->C_FindObjectsFinal(p11->session);
	if (rv != CKR_OK)
		return fail(p11, "C_FindObjects", rv);
	*count = got;
	*handle = got ? found[0] : 0;
	return 0;
}

int mcr_p11_attribute(struct mcr_p11 *p11, unsigned long object, unsigned long type,
		      struct mcr_buf *out)
{
	CK_ATTRIBUTE attr = {type, NULL, 0};
	CK_RV rv = p11->fn->C_GetAttributeValue(p11->session, object, &attr, 1);
	int ret;

	if (rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID ||
	    attr.ulValueLen == CK_UNAVAILABLE_INFORMATION)
		return 1;
	if (rv != CKR_OK)
		return fail(p11, "C_GetAttributeValue", rv);
	if ((ret = mcr_buf_grow(out, attr.ulValueLen)) < 0)
		return ret;
	attr.pValue = out->data + out->len;
	if ((rv = p11->fn->C_GetAttributeValue(p11->session, object, &attr, 1)) != CKR_OK)
		return fail(p11, "C_GetAttributeValue", rv);
	out->len += attr.ulValueLen;
	out->data[out->len] = '\0';
	return 0;
}

int mcr_p11_attribute_bool(struct mcr_p11 *p11, unsigned long object, unsigned long type,
			   bool *out)
{
	struct mcr_buf value = MCR_BUF_INIT;
	int ret = mcr_p11_attribute(p11, object, type, &value);

	if (ret == 0 && value.len == sizeof(CK_BBOOL))
		*out = value.data[0] != CK_FALSE;
	mcr_buf_release(&value);
	return ret < 0 ? ret : 0;
}

int mcr_p11_attribute_ulong(struct mcr_p11 *p11, unsigned long object, unsigned long type,
			    unsigned long *out)
{
	struct mcr_buf value = MCR_BUF_INIT;
	int ret = mcr_p11_attribute(p11, object, type, &value);

	if (ret == 0 && value.len == sizeof(CK_ULONG))
		memcpy(out, value.data, sizeof(CK_ULONG));
	mcr_buf_release(&value);
	return ret < 0 ? ret : 0;
}

int mcr_p11_sign(struct mcr_p11 *p11, unsigned long key, unsigned long mechanism,
		 const void *params, size_t params_len, const unsigned char *data, size_t len,
		 const struct mcr_buf *context_pin, struct mcr_buf *sig)
{
	CK_MECHANISM mech = {mechanism, (void *)params, params_len};
	CK_ULONG sig_len = 0;
	CK_RV rv;
	int ret;

	if ((rv = p11->fn->C_SignInit(p11->session, &mech, key)) != CKR_OK)
		return rv == CKR_MECHANISM_INVALID || rv == CKR_MECHANISM_PARAM_INVALID ?
			       mcr_error(MCR_ESIGNER, "token '%s' of signer '%s' does not support the signing mechanism 0x%lx: %s",
					 p11->token.label, p11->who, mechanism, mcr_p11_rv_name(rv)) :
			       fail(p11, "C_SignInit", rv);
	/* Keys that demand a login per use (CKA_ALWAYS_AUTHENTICATE) take it right here. */
	if (context_pin && (rv = p11->fn->C_Login(p11->session, CKU_CONTEXT_SPECIFIC,
						  context_pin->data, context_pin->len)) != CKR_OK)
		return rv == CKR_PIN_INCORRECT ? mcr_error(MCR_ESIGNER, "wrong PIN for key of signer '%s' (not retried)", p11->who)
					       : fail(p11, "C_Login (context specific)", rv);
	/* One call into room for any MCUboot signature: each call may cross a network to the HSM. */
	sig_len = 512;
	if ((ret = mcr_buf_grow(sig, sig_len)) < 0)
		return ret;
	rv = p11->fn->C_Sign(p11->session, (CK_BYTE_PTR)data, len, sig->data + sig->len, &sig_len);
	if (rv == CKR_BUFFER_TOO_SMALL && (ret = mcr_buf_grow(sig, sig_len)) == 0)
		rv = p11->fn->C_Sign(p11->session, (CK_BYTE_PTR)data, len, sig->data + sig->len,
				     &sig_len);
	if (rv != CKR_OK)
		return fail(p11, "C_Sign", rv);
	sig->len += sig_len;
	return 0;
}
