// Lint and format rules for the whole repository (`npm run lint`; `npm run format` applies the
// fixable ones). The layout rules describe the code as it is written: tabs, 1tbs braces with
// one-line blocks allowed and braces always, single quotes, semicolons, `x => ...` for one
// parameter. The few type-aware rules are the promise ones: an unawaited promise loses its error.
import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
	{ ignores: ['dist/**', 'out/**', '.e2e/**', '.vscode-test/**'] },
	js.configs.recommended,
	...tseslint.configs.recommended,
	{
		files: ['**/*.ts', '**/*.mjs', '**/*.js'],
		languageOptions: {
			ecmaVersion: 2022,
			sourceType: 'module',
			globals: { ...globals.node },
		},
		plugins: { '@stylistic': stylistic },
		linterOptions: { reportUnusedDisableDirectives: 'error' },
		rules: {
			// ---- correctness
			eqeqeq: ['error', 'always'],
			'no-fallthrough': 'error',
			curly: ['error', 'all'],
			'no-var': 'error',
			'prefer-const': ['error', { destructuring: 'all' }],
			'no-throw-literal': 'error',
			'no-self-compare': 'error',
			'no-template-curly-in-string': 'error',
			'no-unmodified-loop-condition': 'error',
			'no-unreachable-loop': 'error',
			'no-constant-binary-expression': 'error',
			'no-return-assign': 'error',
			'no-sequences': 'error',
			'no-useless-concat': 'error',
			radix: 'error',
			'object-shorthand': ['error', 'properties'],
			'@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
			'@typescript-eslint/no-import-type-side-effects': 'error',

			// engine steps are generators (K) even when a step never yields; const enums alias
			// kernel flags on purpose (HMM_PFN_REQ_FAULT is HMM_PFN_VALID); an accessor object that
			// forwards to its owner needs `const self = this`
			'require-yield': 'off',
			'@typescript-eslint/no-duplicate-enum-values': 'off',
			'@typescript-eslint/no-this-alias': 'off',

			// ---- layout (the formatter)
			'@stylistic/indent': ['error', 'tab', { SwitchCase: 1, ignoredNodes: ['TSUnionType', 'TSIntersectionType'], offsetTernaryExpressions: true, flatTernaryExpressions: false }],
			'@stylistic/no-mixed-spaces-and-tabs': 'error',
			'@stylistic/brace-style': ['error', '1tbs', { allowSingleLine: true }],
			'@stylistic/block-spacing': ['error', 'always'],
			'@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: 'always' }],
			'@stylistic/semi': ['error', 'always'],
			'@stylistic/semi-spacing': 'error',
			'@stylistic/semi-style': ['error', 'last'],
			'@stylistic/no-extra-semi': 'error',
			'@stylistic/member-delimiter-style': ['error', {
				multiline: { delimiter: 'semi', requireLast: true },
				singleline: { delimiter: 'semi', requireLast: false },
				multilineDetection: 'brackets',
			}],
			'@stylistic/comma-dangle': ['error', 'always-multiline'],
			'@stylistic/comma-spacing': 'error',
			'@stylistic/comma-style': ['error', 'last'],
			'@stylistic/key-spacing': 'error',
			'@stylistic/keyword-spacing': 'error',
			'@stylistic/space-before-blocks': 'error',
			'@stylistic/space-before-function-paren': ['error', { anonymous: 'always', named: 'never', asyncArrow: 'always' }],
			'@stylistic/space-infix-ops': 'error',
			'@stylistic/space-unary-ops': 'error',
			'@stylistic/space-in-parens': ['error', 'never'],
			'@stylistic/arrow-spacing': 'error',
			'@stylistic/arrow-parens': ['error', 'as-needed'],
			// deprecated in favour of list-style, which would also impose where lists wrap
			'@stylistic/object-curly-spacing': ['error', 'always'],
			'@stylistic/array-bracket-spacing': ['error', 'never'],
			'@stylistic/computed-property-spacing': ['error', 'never'],
			'@stylistic/template-curly-spacing': 'error',
			'@stylistic/type-annotation-spacing': 'error',
			'@stylistic/function-call-spacing': 'error',
			'@stylistic/rest-spread-spacing': 'error',
			'@stylistic/no-trailing-spaces': 'error',
			'@stylistic/no-multiple-empty-lines': ['error', { max: 1, maxBOF: 0, maxEOF: 0 }],
			'@stylistic/eol-last': 'error',
			'@stylistic/linebreak-style': ['error', 'unix'],
			'@stylistic/new-parens': 'error',
			'@stylistic/no-floating-decimal': 'error',
			'@stylistic/dot-location': ['error', 'property'],
			'@stylistic/spaced-comment': ['error', 'always', { markers: ['/'], exceptions: ['-'], block: { balanced: true } }],
			'@stylistic/no-whitespace-before-property': 'error',
			'@stylistic/quote-props': ['error', 'as-needed'],
			'@stylistic/padded-blocks': ['error', 'never'],
			'@stylistic/operator-linebreak': ['error', 'before'],
			'@stylistic/generator-star-spacing': ['error', { before: false, after: true, method: { before: true, after: false } }],
			'@stylistic/yield-star-spacing': ['error', 'after'],
			'@stylistic/switch-colon-spacing': 'error',
			'@stylistic/type-generic-spacing': 'error',
			'@stylistic/type-named-tuple-spacing': 'error',
			'@stylistic/template-tag-spacing': 'error',
			'@stylistic/no-multi-spaces': ['error', { ignoreEOLComments: true }],
			'@stylistic/indent-binary-ops': ['error', 'tab'],
			'@stylistic/wrap-iife': ['error', 'inside'],
			'@stylistic/nonblock-statement-body-position': 'error',
			'@stylistic/no-mixed-operators': ['error', { groups: [['&&', '||']], allowSamePrecedence: true }],
		},
	},
	{
		files: ['**/*.ts'],
		languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
		rules: {
			// tsc already reports these (strict, noUnusedLocals, noUnusedParameters)
			'@typescript-eslint/no-unused-vars': 'off',
			'no-undef': 'off',
			'@typescript-eslint/no-floating-promises': 'error',
			'@typescript-eslint/no-misused-promises': 'error',
			'@typescript-eslint/await-thenable': 'error',
		},
	},
	{
		files: ['**/*.mjs', '**/*.js'],
		rules: { '@typescript-eslint/no-unused-vars': 'off', 'no-unused-vars': 'error' },
	},
	{
		files: ['webview/**/*.ts'],
		languageOptions: { globals: { ...globals.browser } },
	},
);
