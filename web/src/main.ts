import { createApp } from 'vue'
import App from './App.vue'
import { router } from './router'
import './style.css'

// Mounted without waiting for the first route: the sign-in form shows at once while a lazy page's code loads.
createApp(App).use(router).mount('#app')
