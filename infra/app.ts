import { buildApp } from './tessera-app';

buildApp().app.synth();
